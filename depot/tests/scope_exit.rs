//! Scope exits and tombstone retention (ADR 0012), with real phones against a real depot:
//! - an order reassigned from artisan A to B leaves A's phone at its next sync and reaches B's;
//!   A's pending accept does not bring it back and shows as refused; reassigned back, A holds
//!   it whole again (and may retry the accept);
//! - a mentee moved from mentor M1 to M2: M1's phone loses her drafts, profile and orders, M2's
//!   gains them, and back again;
//! - a phone away longer than the retention horizon: the depot pruned the deletions it never
//!   saw, so it is told `cursor_expired`, pulls everything again and sweeps; deleted drafts do
//!   not come back by any path, and its own unsynced edits are kept and pushed; a re-sync
//!   killed half-way resumes at the next sync and sweeps at its end.

mod common;
use common::{basket, Dev, Server};
use fundi_core::drafts::{DraftPatch, NewDraft};
use fundi_core::{Error, Store};
use fundi_sync::workflow::{OrderCommand, OrderStatus};
use serde_json::{json, Value};

/// Another phone of an existing account (a replacement code asked for by operations).
fn second_phone(s: &Server, ops: &Dev, account: &str, name: &str) -> Store {
    let (st, v) = s.req(Some(ops), &format!("/v1/accounts/{account}/codes"), Some(json!({})));
    assert_eq!(st, 200, "{v}");
    let store = Store::open(common::db_path(s.dir.path(), name)).unwrap();
    store.enroll_device(&s.url, v["code"].as_str().unwrap()).unwrap();
    store
}

/// The depot's stored body of a record, if it holds it.
fn stored(s: &Server, kind: &str, id: &str) -> Option<(Option<String>, Value)> {
    s.records().into_iter().find(|r| r.0 == kind && r.1 == id).map(|r| (r.2, serde_json::from_str(&r.4).unwrap()))
}

fn order_ids(p: &Store) -> Vec<String> {
    let mut ids: Vec<String> = p.list_orders().unwrap().into_iter().map(|o| o.id).collect();
    ids.sort();
    ids
}

fn review_ids(p: &Store) -> Vec<String> {
    let mut ids: Vec<String> = p.list_review_drafts().unwrap().into_iter().map(|d| d.id).collect();
    ids.sort();
    ids
}

/// The conflict shown for this phone's own refused change on `record` (`outbox:N`).
fn refused_item(p: &Store, record: &str) -> Option<fundi_core::conflicts::ConflictItem> {
    p.list_conflicts().unwrap().into_iter().find(|c| c.id.starts_with("outbox:") && c.record_id == record)
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[test]
fn an_order_reassigned_away_leaves_the_old_phone_and_comes_back_whole() {
    let s = Server::start();
    let (a, a_id) = s.phone("artisan", "akinyi", None);
    let (b, b_id) = s.phone("artisan", "baraka", None);
    s.import_csv(&format!(
        "source,external_ref,product,quantity,price_minor,artisan_id\nshop,R-1,Kiondo,2,150000,{a_id}\nshop,R-2,Mkeka,1,90000,{a_id}\n"
    ));
    a.sync_now(None).unwrap();
    b.sync_now(None).unwrap();
    let all = a.list_orders().unwrap();
    let moved = all.iter().find(|o| o.external_ref == "R-1").unwrap().id.clone();
    let stays = all.iter().find(|o| o.external_ref == "R-2").unwrap().id.clone();
    assert!(order_ids(&b).is_empty());

    // A accepts while offline; meanwhile operations give the order to B.
    a.order_command(&moved, OrderCommand::Accept, None).unwrap();
    s.cli(&["assign", &moved, &b_id]);
    a.sync_now(None).unwrap();
    b.sync_now(None).unwrap();

    assert_eq!(order_ids(&a), [stays.as_str()], "the order left A's phone");
    assert!(matches!(a.get_order(&moved), Err(Error::NotFound { .. })));
    assert_eq!(order_ids(&b), [moved.as_str()], "and reached B's");
    assert_eq!(b.get_order(&moved).unwrap().status, OrderStatus::Assigned);
    // What A sees: her accept, refused, saying why; nothing was dropped silently.
    let item = refused_item(&a, &moved).expect("the accept is shown as refused");
    assert_eq!(item.value.as_deref(), Some("accept"));
    assert!(item.reason.as_deref().unwrap().starts_with("left_scope:"), "{item:?}");
    // The refused accept does not bring the order back, at this sync or the next.
    a.sync_now(None).unwrap();
    assert_eq!(order_ids(&a), [stays.as_str()]);
    let (owner, body) = stored(&s, "order", &moved).unwrap();
    assert_eq!((owner.as_deref(), body["status"].as_str()), (Some(b_id.as_str()), Some("assigned")));
    let exits: i64 = s.db().query_row("SELECT COUNT(*) FROM scope_exits WHERE account_id = ?1", [&a_id], |r| r.get(0)).unwrap();
    assert_eq!(exits, 1, "one exit, addressed to A");

    // Back to A: she holds it whole again, B no longer does.
    s.cli(&["assign", &moved, &a_id]);
    a.sync_now(None).unwrap();
    b.sync_now(None).unwrap();
    assert!(order_ids(&b).is_empty(), "it left B's phone");
    assert_eq!(order_ids(&a), sorted(vec![moved.clone(), stays.clone()]));
    let (_, depot) = stored(&s, "order", &moved).unwrap();
    let back = a.get_order(&moved).unwrap();
    assert_eq!(back.server_status.code(), depot["status"]);
    assert_eq!(back.artisan_id.as_deref(), depot["artisan_id"].as_str());
    assert_eq!(back.product, depot["product"]);
    assert_eq!(back.quantity as u64, depot["quantity"].as_u64().unwrap());
    assert_eq!(back.price_minor, depot["price_minor"].as_i64().unwrap());
    assert_eq!((back.source.as_str(), back.external_ref.as_str()), ("shop", "R-1"));
    assert_eq!(back.note.as_deref(), depot["note"].as_str());
    let stamp: fundi_sync::hlc::Timestamp = depot["updated_hlc"].as_str().unwrap().parse().unwrap();
    assert_eq!(back.updated_at_ms, stamp.wall_ms, "its latest state, not the one A held before");
    // Hers again, the refused accept can be retried, and now it goes through.
    a.resolve_conflict(&item.id, true).unwrap();
    a.sync_now(None).unwrap();
    assert_eq!(stored(&s, "order", &moved).unwrap().1["status"], "accepted");
    assert_eq!(a.get_order(&moved).unwrap().status, OrderStatus::Accepted);
    assert!(refused_item(&a, &moved).is_none());

    // Away and back while A is offline: one page holds both the exit and the order's return,
    // and the order must end on her phone.
    s.cli(&["assign", &stays, &b_id]);
    s.cli(&["assign", &stays, &a_id]);
    a.sync_now(None).unwrap();
    assert_eq!(order_ids(&a), sorted(vec![moved.clone(), stays.clone()]));
}

#[test]
fn a_mentee_moved_to_another_mentor_leaves_the_old_mentors_phone_and_reaches_the_new_one() {
    let s = Server::start();
    let (m1, m1_id) = s.phone("mentor", "wanjiru", None);
    let (m2, m2_id) = s.phone("mentor", "otieno", None);
    let (x, x_id) = s.phone("artisan", "akinyi", Some(&m1_id));
    let (y, _) = s.phone("artisan", "baraka", Some(&m1_id));
    let d1 = x.create_draft(basket()).unwrap();
    let d2 = x.create_draft(NewDraft { title: "Mkeka".into(), ..basket() }).unwrap();
    x.submit_draft(&d1.id).unwrap();
    x.set_profile_field(&x_id, "display_name", json!("Akinyi")).unwrap();
    let dy = y.create_draft(basket()).unwrap();
    s.import_csv(&format!("source,external_ref,product,quantity,price_minor,artisan_id\nshop,R-1,Kiondo,1,150000,{x_id}\n"));
    for p in [&x, &y, &m1, &m2] {
        p.sync_now(None).unwrap();
    }
    let xs_order = order_ids(&x);
    assert_eq!(review_ids(&m1), sorted(vec![d1.id.clone(), d2.id.clone(), dy.id.clone()]));
    assert!(m1.profile(&x_id).unwrap().is_some());
    assert_eq!(order_ids(&m1), xs_order);
    assert!(review_ids(&m2).is_empty() && m2.profile(&x_id).unwrap().is_none() && order_ids(&m2).is_empty());

    // M1 writes a review note offline; meanwhile operations move Akinyi to M2.
    m1.set_reviewed_draft_field(&d1.id, "review_note", json!("Nzuri sana")).unwrap();
    s.cli(&["set-mentor", &x_id, "--mentor", &m2_id]);
    for p in [&m1, &m2, &x] {
        p.sync_now(None).unwrap();
    }
    assert_eq!(review_ids(&m1), [dy.id.as_str()], "M1 keeps his other mentee's draft only");
    assert!(m1.profile(&x_id).unwrap().is_none());
    assert!(order_ids(&m1).is_empty());
    assert!(matches!(m1.reviewed_draft(&d1.id), Err(Error::NotFound { .. })));
    let note = refused_item(&m1, &d1.id).expect("M1's unsent note is shown as refused");
    assert!(note.reason.as_deref().unwrap().starts_with("left_scope:"), "{note:?}");
    // M2 holds her records whole, as the depot does.
    assert_eq!(review_ids(&m2), sorted(vec![d1.id.clone(), d2.id.clone()]));
    for d in [&d1.id, &d2.id] {
        let (_, depot) = stored(&s, "draft", d).unwrap();
        assert_eq!(serde_json::to_value(m2.reviewed_draft(d).unwrap()).unwrap(), depot, "draft {d}");
    }
    assert_eq!(m2.profile(&x_id).unwrap().unwrap().text("display_name"), Some("Akinyi"));
    assert_eq!(order_ids(&m2), xs_order);
    // Akinyi's own phone is untouched.
    assert_eq!(sorted(x.list_drafts().unwrap().into_iter().map(|d| d.id).collect()), sorted(vec![d1.id.clone(), d2.id.clone()]));
    // M2, her mentor now, may write her review note; M1 may not (his note stays refused).
    m2.set_reviewed_draft_field(&d1.id, "review_note", json!("Karibu")).unwrap();
    m2.sync_now(None).unwrap();
    assert_eq!(stored(&s, "draft", &d1.id).unwrap().1["doc"]["fields"]["review_note"]["value"], "Karibu");

    // And back to M1.
    s.cli(&["set-mentor", &x_id, "--mentor", &m1_id]);
    m1.sync_now(None).unwrap();
    m2.sync_now(None).unwrap();
    assert_eq!(review_ids(&m1), sorted(vec![d1.id.clone(), d2.id.clone(), dy.id.clone()]));
    assert_eq!(m1.reviewed_draft(&d1.id).unwrap().doc.value("review_note"), Some(&json!("Karibu")), "the latest state");
    assert!(review_ids(&m2).is_empty() && m2.profile(&x_id).unwrap().is_none() && order_ids(&m2).is_empty());
    // Without a mentor: M1 loses her again.
    s.cli(&["set-mentor", &x_id, "--no-mentor"]);
    m1.sync_now(None).unwrap();
    assert_eq!(review_ids(&m1), [dy.id.as_str()]);
}

#[test]
fn a_phone_away_past_the_retention_horizon_resyncs_without_resurrecting_deleted_drafts() {
    let s = Server::start();
    let ops = s.device("operations", "ops", None);
    let (p, me) = s.phone("artisan", "akinyi", None);
    let q = second_phone(&s, &ops, &me, "akinyi-second");
    let (_, other) = s.phone("artisan", "baraka", None);
    let gone1 = p.create_draft(basket()).unwrap();
    let gone2 = p.create_draft(NewDraft { title: "Mkeka".into(), ..basket() }).unwrap();
    let kept = p.create_draft(NewDraft { title: "Kikapu".into(), ..basket() }).unwrap();
    s.import_csv(&format!("source,external_ref,product,quantity,price_minor,artisan_id\nshop,R-1,Kiondo,1,150000,{me}\n"));
    p.sync_now(None).unwrap();
    q.sync_now(None).unwrap();
    let order = order_ids(&p).pop().unwrap();
    // A raw device of hers that pulled once, to see the depot's answer to an old cursor.
    let raw = s.another_device(&ops, &me);
    let (_, first) = s.req(Some(&raw), "/v1/sync/pull?cursor=0", None);
    let old_cursor = first["cursor"].as_u64().unwrap();

    // P is away. Its user edits one draft, edits another, and starts a new one.
    let title = |t: &str| DraftPatch { title: Some(t.into()), ..Default::default() };
    p.update_draft(&kept.id, title("Kikapu kipya")).unwrap();
    p.update_draft(&gone1.id, title("Kiondo, edited while away")).unwrap();
    let fresh = p.create_draft(NewDraft { title: "Chungu".into(), ..basket() }).unwrap();
    // Meanwhile her other phone deletes two drafts, and the order is given to someone else.
    q.delete_draft(&gone1.id).unwrap();
    q.delete_draft(&gone2.id).unwrap();
    q.sync_now(None).unwrap();
    s.cli(&["assign", &order, &other]);
    // The retention horizon passes: the depot prunes.
    let pruned: Value = serde_json::from_str(&s.cli(&["prune", "--tombstone-retention-days", "0", "--json"])).unwrap();
    assert_eq!(pruned["tombstones"], 2, "{pruned}");
    assert_eq!(pruned["exits"], 1, "{pruned}");
    assert!(stored(&s, "draft", &gone1.id).is_none() && stored(&s, "draft", &gone2.id).is_none());
    let (st, e) = s.req(Some(&raw), &format!("/v1/sync/pull?cursor={old_cursor}"), None);
    assert_eq!((st, e["error"].as_str()), (409, Some("cursor_expired")), "{e}");

    // P comes back.
    p.sync_now(None).unwrap();
    let mine = sorted(p.list_drafts().unwrap().into_iter().map(|d| d.id).collect());
    assert_eq!(mine, sorted(vec![kept.id.clone(), fresh.id.clone()]));
    assert_eq!(p.get_draft(&kept.id).unwrap().title, "Kikapu kipya", "its unsynced edit is kept");
    for d in [&gone1.id, &gone2.id] {
        assert!(matches!(p.get_draft(d), Err(Error::NotFound { .. })));
    }
    let local = rusqlite::Connection::open(common::db_path(s.dir.path(), "akinyi")).unwrap();
    let rows: i64 =
        local.query_row("SELECT COUNT(*) FROM drafts WHERE id IN (?1, ?2)", [&gone1.id, &gone2.id], |r| r.get(0)).unwrap();
    assert_eq!(rows, 0, "removed, not even kept as tombstones");
    let marks: i64 = local.query_row("SELECT COUNT(*) FROM sweep_marks", [], |r| r.get(0)).unwrap();
    assert_eq!(marks, 0, "the re-sync finished");
    assert!(order_ids(&p).is_empty(), "the order that left while P was away is gone too");
    // Its edits reached the depot; the edit of a draft deleted elsewhere shows as refused.
    assert_eq!(stored(&s, "draft", &kept.id).unwrap().1["doc"]["fields"]["title"]["value"], "Kikapu kipya");
    assert_eq!(stored(&s, "draft", &fresh.id).unwrap().1["doc"]["fields"]["title"]["value"], "Chungu");
    let item = refused_item(&p, &gone1.id).expect("the edit of a deleted draft is shown");
    assert!(item.reason.as_deref().unwrap().starts_with("gone:"), "{item:?}");

    // Nothing brings them back: another sync of each phone, a retry of the refused edit, a
    // stale write from a device that never heard of the deletion.
    p.resolve_conflict(&item.id, true).unwrap();
    p.sync_now(None).unwrap();
    q.sync_now(None).unwrap();
    let stale = common::field_write(&gone2.id, "draft", "title", json!("Mkeka, from an old phone"));
    assert_eq!(s.push(&raw, vec![stale]), [Some("gone".to_string())]);
    assert!(stored(&s, "draft", &gone1.id).is_none() && stored(&s, "draft", &gone2.id).is_none());
    for phone in [&p, &q] {
        let ids = sorted(phone.list_drafts().unwrap().into_iter().map(|d| d.id).collect());
        assert_eq!(ids, sorted(vec![kept.id.clone(), fresh.id.clone()]));
    }
    let back: Vec<Value> = s.pull_all(&raw);
    assert!(back.iter().all(|c| c["id"] != gone1.id.as_str() && c["id"] != gone2.id.as_str()));
}

/// The depot's half of a full re-sync: after the first page it normally skips what the
/// calling device wrote cleanly itself; with `full=1` it sends it too.
#[test]
fn a_full_pull_sends_the_devices_own_clean_writes_after_the_first_page() {
    let s = Server::start();
    let a = s.device("artisan", "a", None);
    // A first record, so that the cursor is past 0 (a pull from 0 always sends everything).
    assert_eq!(s.push(&a, vec![common::field_write(&common::uuid_like(), "draft", "title", json!("Mkeka"))]), [None]);
    let (_, head) = s.req(Some(&a), "/v1/sync/pull?cursor=0", None);
    let cursor = head["cursor"].as_u64().unwrap();
    assert!(cursor > 0);
    let draft = common::uuid_like();
    let (st, r) = s.req(
        Some(&a),
        "/v1/sync/push",
        Some(json!({"protocol": 1, "device_id": a.device, "cursor": cursor,
            "mutations": [common::numbered(common::field_write(&draft, "draft", "title", json!("Kiondo")), 2)]})),
    );
    assert_eq!(st, 200, "{r}");
    let ids = |v: &Value| -> Vec<String> {
        v["changes"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().into()).collect()
    };
    let (_, normal) = s.req(Some(&a), &format!("/v1/sync/pull?cursor={cursor}"), None);
    assert!(ids(&normal).is_empty(), "a clean write of its own is not echoed: {normal}");
    let (_, full) = s.req(Some(&a), &format!("/v1/sync/pull?cursor={cursor}&full=1"), None);
    assert_eq!(ids(&full), [draft]);
}

/// In the child process of the kill test: one sync, killed by the armed crash point. Does
/// nothing in a normal test run.
#[test]
fn phone_process() {
    let Ok(db) = std::env::var("FUNDI_SCOPE_PHONE_DB") else { return };
    let _ = Store::open(&db).unwrap().sync_now(None);
}

#[test]
fn a_full_resync_killed_half_way_resumes_at_the_next_sync_and_sweeps_at_its_end() {
    use fundi_sqlite::crash_point::{ENV_AFTER, ENV_AT};
    let s = Server::start();
    let ops = s.device("operations", "ops", None);
    let (p, me) = s.phone("artisan", "akinyi", None);
    let q = second_phone(&s, &ops, &me, "akinyi-second");
    let gone = p.create_draft(basket()).unwrap();
    p.sync_now(None).unwrap();
    // P is away. Its other phone deletes the draft; then more than a page of orders arrives
    // after the deletion, so the re-sync's second page starts past the pruned position.
    q.sync_now(None).unwrap();
    q.delete_draft(&gone.id).unwrap();
    q.sync_now(None).unwrap();
    let n = fundi_sync::limits::PULL_PAGE_ASKED + 50;
    let csv: String = (0..n).map(|i| format!("shop,R-{i},Item {i},1,1000,{me}\n")).collect();
    s.import_csv(&format!("source,external_ref,product,quantity,price_minor,artisan_id\n{csv}"));
    s.cli(&["prune", "--tombstone-retention-days", "0"]);
    // A draft P makes while away: pushed cleanly first thing, so the depot would not send it
    // back to P after a first page unless asked for everything.
    let late = p.create_draft(NewDraft { title: "Chungu".into(), ..basket() }).unwrap();
    drop(p);

    // P syncs in a child process that dies right after the re-sync's first page is applied.
    let db = common::db_path(s.dir.path(), "akinyi");
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "phone_process", "--test-threads", "1", "--quiet"])
        .env("FUNDI_SCOPE_PHONE_DB", &db)
        .env(ENV_AT, "sync:pull_applied")
        .env(ENV_AFTER, "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(!status.success(), "the phone was killed at the crash point");
    let count = |sql: &str| -> i64 { rusqlite::Connection::open(&db).unwrap().query_row(sql, [], |r| r.get(0)).unwrap() };
    assert!(count("SELECT COUNT(*) FROM sweep_marks") > 0, "the marks outlive the kill");
    let pruned: i64 = s.db().query_row("SELECT pruned_seq FROM meta", [], |r| r.get(0)).unwrap();
    assert!(count("SELECT cursor FROM sync_state") > pruned, "one page was applied, past the pruned position");
    assert!(stored(&s, "draft", &late.id).is_some(), "the push went first");

    // The app starts again: its next sync resumes the re-sync and sweeps at its end.
    let p = Store::open(&db).unwrap();
    p.sync_now(None).unwrap();
    assert_eq!(count("SELECT COUNT(*) FROM sweep_marks"), 0);
    assert!(matches!(p.get_draft(&gone.id), Err(Error::NotFound { .. })), "the deleted draft is swept");
    assert_eq!(p.get_draft(&late.id).unwrap().title, "Chungu", "its own clean write came back in a later page, and stays");
    assert_eq!(p.list_orders().unwrap().len(), n);
    assert_eq!(p.list_drafts().unwrap().len(), 1);
}

/// The depot's half of an expiry: the full re-sync that follows is answered page after page
/// although its cursor lies below the pruned position, until something newer is pruned.
#[test]
fn a_full_resync_goes_on_past_the_prune_it_was_told_of_and_starts_over_after_a_newer_one() {
    let s = Server::start();
    let ops = s.device("operations", "ops", None);
    let a = s.device("artisan", "a", None);
    let other = s.another_device(&ops, &a.account);
    let (d1, d2, d3) = (common::uuid_like(), common::uuid_like(), common::uuid_like());
    let title = |d: &str| common::field_write(d, "draft", "title", json!("Kiondo"));
    assert_eq!(s.push(&a, vec![title(&d1), title(&d2), title(&d3)]), [None, None, None]);
    let (_, v) = s.req(Some(&a), "/v1/sync/pull?cursor=0", None);
    let old = v["cursor"].as_u64().unwrap();
    let delete = |d: &str| common::field_write(d, "draft", "deleted", json!(true));
    assert_eq!(s.push(&other, vec![delete(&d1)]), [None]);
    s.cli(&["prune", "--tombstone-retention-days", "0"]);
    let pull = |q: &str| s.req(Some(&a), &format!("/v1/sync/pull?{q}"), None);
    assert_eq!(pull(&format!("cursor={old}")).1["error"], "cursor_expired");
    // The re-sync, one record a page: its second page lies below the pruned position.
    let (st, first) = pull("cursor=0&limit=1&full=1");
    assert_eq!((st, first["more"].as_bool()), (200, Some(true)), "{first}");
    let c1 = first["cursor"].as_u64().unwrap();
    assert!(c1 < old, "the test needs a page below the pruned position");
    assert_eq!(pull(&format!("cursor={c1}&limit=1&full=1")).0, 200);
    assert_eq!(pull(&format!("cursor={c1}&limit=1")).1["error"], "cursor_expired", "only a full pull goes on");
    // Another deletion is pruned meanwhile: the re-sync must start over.
    assert_eq!(s.push(&other, vec![delete(&d2)]), [None]);
    s.cli(&["prune", "--tombstone-retention-days", "0"]);
    assert_eq!(pull(&format!("cursor={c1}&limit=1&full=1")).1["error"], "cursor_expired");
    assert_eq!(pull("cursor=0&limit=1000&full=1").0, 200);
}
