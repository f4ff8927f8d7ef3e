//! Several depots in one deployment (issue 13 item 2, ADR 0030), against real depot processes
//! on loopback: a deployment of two depots, each with its staff and artisans, where staff see
//! and act on their own depot's orders, stock and waiting work only (over the API, the change
//! feed and the console), acting on the other depot's is refused with the typed `not_found` and
//! changes nothing, and operations see both and which depot each line is in; an order
//! reassigned to another depot's artisan and an account moved to another depot leave the old
//! depot's staff phones and reach the new one's. Run on the embedded SQLite store and on
//! PostgreSQL. A store made before migration 014 upgrades with everything in the default
//! depot and behaves as before. The command line: `depot add` and `depot list`,
//! `enroll --depot`, `set-depot`, and a wrong depot id said in words.

mod common;
use common::{command, field_write, stock_entry, Dev, Server};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// `store::depots::DEFAULT_DEPOT`.
const DEFAULT_DEPOT: &str = "00000000-0000-7000-8000-00000000d001";

/// Rows as text ("" for NULL), read from the depot's store, SQLite or PostgreSQL.
fn rows(s: &Server, sql: &str) -> Vec<Vec<String>> {
    use common::sql::ValueRef;
    s.db()
        .query_map(sql, [], |r| {
            (0..r.column_count())
                .map(|i| {
                    Ok(match r.get_ref(i)? {
                        ValueRef::Null => String::new(),
                        ValueRef::Integer(v) => v.to_string(),
                        ValueRef::Text(t) => t.to_string(),
                        other => format!("{other:?}"),
                    })
                })
                .collect()
        })
        .unwrap()
}

/// Every record but the refusals (which go to their sender by design), as stored.
fn records(s: &Server) -> Vec<Vec<String>> {
    rows(s, "SELECT kind, id, owner, seq, body FROM records WHERE kind <> 'rejection' ORDER BY seq")
}

/// Each account's depot ("" for none).
fn depot_of(s: &Server) -> BTreeMap<String, String> {
    rows(s, "SELECT id, depot_id FROM accounts").into_iter().map(|r| (r[0].clone(), r[1].clone())).collect()
}

/// The two depots: the default one (A) and North (B), each with its staff and an artisan, both
/// artisans coached by one mentor of A's (mentors coach across depots).
struct Deployment {
    s: Server,
    north: String,
    ops: Dev,
    staff_a: Dev,
    staff_b: Dev,
    mentor: Dev,
    a: Dev,
    b: Dev,
    draft_a: String,
    draft_b: String,
    /// An order of a's and one of b's, ready for pickup; one of no one's yet.
    order_a: String,
    order_b: String,
    unassigned: String,
}

fn import(d: &Server, ops: &Dev, reference: &str, artisan: Option<&str>) -> String {
    let mut o = json!({"source": "shop", "external_ref": reference, "product": format!("Order {reference}"), "quantity": 1, "price_minor": 50_000});
    if let Some(a) = artisan {
        o["artisan_id"] = json!(a);
    }
    let (st, v) = d.req(Some(ops), "/v1/orders", Some(json!({ "orders": [o] })));
    assert_eq!(st, 200, "{v}");
    v["created"][0].as_str().unwrap().to_string()
}

fn ready(d: &Server, artisan: &Dev, order: &str) {
    let steps = ["accept", "start_production", "mark_ready"].map(|c| command("order", order, c)).to_vec();
    assert_eq!(d.push(artisan, steps), vec![None, None, None]);
}

fn deployment() -> Deployment {
    let s = Server::start();
    let ops = s.device("operations", "Ops desk", None);
    let north = s.add_depot("North");
    let staff_a = s.device("staff", "Desk A", None);
    let staff_b = s.device_in(&north, "staff", "Desk B", None);
    let mentor = s.device("mentor", "Mama Wanjiku", None);
    let a = s.device("artisan", "Akinyi A", Some(&mentor.account));
    let b = s.device_in(&north, "artisan", "Baraka B", Some(&mentor.account));
    let (draft_a, draft_b) = (common::uuid_like(), common::uuid_like());
    assert_eq!(s.push(&a, vec![field_write(&draft_a, "draft", "title", json!("Kiondo of A"))]), vec![None]);
    assert_eq!(s.push(&b, vec![field_write(&draft_b, "draft", "title", json!("Bakuli of B"))]), vec![None]);
    assert_eq!(s.push(&staff_a, vec![stock_entry(&draft_a, 3)]), vec![None]);
    assert_eq!(s.push(&staff_b, vec![stock_entry(&draft_b, 5)]), vec![None]);
    let order_a = import(&s, &ops, "A-1", Some(&a.account));
    let order_b = import(&s, &ops, "B-1", Some(&b.account));
    let unassigned = import(&s, &ops, "U-1", None);
    ready(&s, &a, &order_a);
    ready(&s, &b, &order_b);
    Deployment { s, north, ops, staff_a, staff_b, mentor, a, b, draft_a, draft_b, order_a, order_b, unassigned }
}

fn ids(list: &Value) -> BTreeSet<String> {
    list.as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap().to_string()).collect()
}

/// A pull from `cursor`: (changes as (kind, id), exits as (kind, id), the next cursor).
type Page = (BTreeSet<(String, String)>, BTreeSet<(String, String)>, u64);

fn pull(s: &Server, dev: &Dev, cursor: u64) -> Page {
    let (st, v) = s.req(Some(dev), &format!("/v1/sync/pull?cursor={cursor}&limit=1000"), None);
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["more"], false, "one page holds the test's feed");
    let pairs = |key: &str| -> BTreeSet<(String, String)> {
        v[key]
            .as_array()
            .map(|l| l.iter().map(|c| (c["kind"].as_str().unwrap().into(), c["id"].as_str().unwrap().into())).collect())
            .unwrap_or_default()
    };
    (pairs("changes"), pairs("exits"), v["cursor"].as_u64().unwrap())
}

/// What a staff account's feed from the start must hold: its depot's accounts' records and the
/// orders of no one's yet; refusals and money only its own.
fn staff_scope(d: &Deployment, staff: &Dev) -> BTreeSet<(String, String)> {
    let depots = depot_of(&d.s);
    let mine = &depots[&staff.account];
    rows(&d.s, "SELECT kind, id, owner FROM records")
        .into_iter()
        .filter(|r| match (r[0].as_str(), r[2].as_str()) {
            ("rejection" | "money", owner) => owner == staff.account,
            (_, "") => true,
            (_, owner) => depots.get(owner) == Some(mine),
        })
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect()
}

// ---- The console, as a browser without a cookie jar -------------------------------------------

fn browser() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .danger_accept_invalid_certs(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A console session of `account`, its password set with a setup code from the command line.
fn console_session(s: &Server, account: &str, login: &str) -> String {
    let code = s.cli(&["console-code", account]).split_whitespace().nth(3).unwrap().to_string();
    let password = "depots-in-one-deployment";
    let r = browser()
        .post(format!("{}/console/setup", s.url))
        .form(&[("code", code.as_str()), ("login", login), ("password", password), ("password_again", password)])
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 303, "{login}: {}", r.text().unwrap());
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|v| v.starts_with("fundi_session="));
    cookie.unwrap().split(';').next().unwrap().trim_start_matches("fundi_session=").to_string()
}

fn page(s: &Server, session: &str, path: &str) -> (u16, String) {
    let r = browser().get(format!("{}{path}", s.url)).header("cookie", format!("fundi_session={session}")).send().unwrap();
    (r.status().as_u16(), r.text().unwrap())
}

fn csrf_of(page: &str) -> String {
    let marker = r#"name="csrf" value=""#;
    let at = page.find(marker).expect("a form with the CSRF token") + marker.len();
    page[at..].split('"').next().unwrap().to_string()
}

fn post(s: &Server, session: &str, path: &str, form: &[(&str, &str)]) -> u16 {
    let csrf = csrf_of(&page(s, session, "/console/people").1);
    let mut fields = vec![("csrf", csrf.as_str())];
    fields.extend_from_slice(form);
    let r = browser()
        .post(format!("{}{path}", s.url))
        .header("cookie", format!("fundi_session={session}"))
        .form(&fields)
        .send()
        .unwrap();
    r.status().as_u16()
}

// ---- Two depots --------------------------------------------------------------------------------

/// Runs on whichever store the suite is on (`FUNDI_TEST_STORE`): both, in `test-all`.
#[test]
fn two_depots_staff_see_and_act_on_their_own_depot_only() {
    let d = deployment();
    let s = &d.s;

    // What waits at the depot, over the API: each depot's staff their own, operations both.
    let report = |dev: &Dev| {
        let (st, v) = s.req(Some(dev), "/v1/depot", None);
        assert_eq!(st, 200, "{v}");
        v
    };
    let (ra, rb, ro) = (report(&d.staff_a), report(&d.staff_b), report(&d.ops));
    assert_eq!(ids(&ra["waiting"]), BTreeSet::from([d.order_a.clone()]), "{ra}");
    assert_eq!(ids(&rb["waiting"]), BTreeSet::from([d.order_b.clone()]), "{rb}");
    assert_eq!(ids(&ro["waiting"]), BTreeSet::from([d.order_a.clone(), d.order_b.clone()]), "{ro}");
    assert_eq!(ra["stock"], json!({ d.draft_a.clone(): 3 }));
    assert_eq!(rb["stock"], json!({ d.draft_b.clone(): 5 }));
    assert_eq!(ro["stock"], json!({ d.draft_a.clone(): 3, d.draft_b.clone(): 5 }));
    // An order of no one's is in no depot: every depot's staff see it coming; operations assign it.
    for r in [&ra, &rb, &ro] {
        assert_eq!(ids(&r["unassigned"]), BTreeSet::from([d.unassigned.clone()]), "{r}");
    }

    // The change feed: exactly their depot's records (and the orders of no one's yet).
    for staff in [&d.staff_a, &d.staff_b] {
        let (got, exits, _) = pull(s, staff, 0);
        assert_eq!(got, staff_scope(&d, staff), "{}'s feed", staff.account);
        assert!(exits.is_empty());
    }
    let (got_a, _, _) = pull(s, &d.staff_a, 0);
    for theirs in [("order", &d.order_b), ("draft", &d.draft_b)] {
        assert!(!got_a.contains(&(theirs.0.to_string(), theirs.1.clone())), "A's staff must not see {theirs:?}");
    }
    assert!(
        got_a.contains(&("order".to_string(), d.order_a.clone())) && got_a.contains(&("draft".to_string(), d.draft_a.clone()))
    );
    let (got_ops, _, _) = pull(s, &d.ops, 0);
    assert!(
        got_ops.contains(&("order".to_string(), d.order_b.clone()))
            && got_ops.contains(&("order".to_string(), d.order_a.clone()))
    );

    // Acting on the other depot's order or stock: refused as not found, and nothing changes.
    let before = records(s);
    let (st, v) = s.req(Some(&d.staff_a), &format!("/v1/orders/{}/commands", d.order_b), Some(json!({"command": "receive"})));
    assert_eq!((st, v["error"].as_str()), (404, Some("not_found")), "{v}");
    let refused = s.push(
        &d.staff_a,
        vec![
            command("order", &d.order_b, "receive"),
            stock_entry(&d.draft_b, 7),
            field_write(&d.draft_b, "draft", "review_note", json!("Not mine to review")),
        ],
    );
    assert_eq!(refused, vec![Some("not_found".to_string()); 3]);
    assert_eq!(records(s), before, "a refused action stores nothing (but its refusal, to its sender)");

    // Each depot's staff act on their own: receive and check.
    for (staff, order) in [(&d.staff_a, &d.order_a), (&d.staff_b, &d.order_b)] {
        for c in ["receive", "qc_pass"] {
            let (st, v) = s.req(Some(staff), &format!("/v1/orders/{order}/commands"), Some(json!({"command": c})));
            assert_eq!(st, 200, "{c}: {v}");
        }
    }

    // The console: staff see their own depot's orders, stock, people and work.
    let (sa, sb, so) = (
        console_session(s, &d.staff_a.account, "desk-a"),
        console_session(s, &d.staff_b.account, "desk-b"),
        console_session(s, &d.ops.account, "ops-desk"),
    );
    let (st, orders) = page(s, &sa, "/console/orders");
    assert_eq!(st, 200);
    assert!(orders.contains(&d.order_a) && !orders.contains(&d.order_b) && orders.contains(&d.unassigned), "{orders}");
    assert_eq!(page(s, &sa, &format!("/console/orders/{}", d.order_b)).0, 404, "another depot's order is not found");
    assert_eq!(page(s, &sa, &format!("/console/orders/{}", d.order_a)).0, 200);
    let (_, stock) = page(s, &sa, "/console/stock");
    assert!(stock.contains("Kiondo of A") && !stock.contains("Bakuli of B"), "{stock}");
    let (_, people) = page(s, &sa, "/console/people");
    assert!(people.contains("Akinyi A") && !people.contains("Baraka B"), "{people}");
    let (_, stock) = page(s, &sb, "/console/stock");
    assert!(stock.contains("Bakuli of B") && !stock.contains("Kiondo of A"), "{stock}");
    let (_, today) = page(s, &sa, "/console/today");
    assert!(today.contains("Order U-1") && !today.contains("Order B-1"), "{today}");
    // The console's actions on another depot's: the check and a stock movement, refused.
    let before = records(s);
    let status = post(s, &sa, &format!("/console/orders/{}/command", d.order_b), &[("command", "ship")]);
    assert_eq!(status, 404, "shipping another depot's order");
    let status = post(s, &sa, "/console/stock/movements", &[("product_id", &d.draft_b), ("delta", "2"), ("reason", "received")]);
    assert_eq!(status, 404, "recording another depot's stock");
    assert_eq!(records(s), before, "nothing changed");
    // Operations see both, which depot each line is in, and narrow a list to one depot.
    let (_, orders) = page(s, &so, "/console/orders");
    assert!(orders.contains(&d.order_a) && orders.contains(&d.order_b), "{orders}");
    assert!(orders.contains("<td>Main depot</td>") && orders.contains("<td>North</td>"), "{orders}");
    let (_, north_orders) = page(s, &so, &format!("/console/orders?show=open&depot={}", d.north));
    assert!(north_orders.contains(&d.order_b) && !north_orders.contains(&d.order_a), "{north_orders}");
    assert!(!north_orders.contains(&d.unassigned), "an order of no one's is in no depot");
    let (_, stock) = page(s, &so, "/console/stock");
    assert!(stock.contains("Kiondo of A") && stock.contains("Bakuli of B") && stock.contains("<td>North</td>"), "{stock}");
    let (_, stock) = page(s, &so, &format!("/console/stock?depot={}", d.north));
    assert!(stock.contains("Bakuli of B") && !stock.contains("Kiondo of A"), "{stock}");
    let (_, people) = page(s, &so, &format!("/console/people?depot={}", d.north));
    assert!(people.contains("Baraka B") && people.contains("Desk B") && !people.contains("Akinyi A"), "{people}");

    // An order a declines, reassigned by operations to b: it leaves A's staff, reaches B's.
    let order = import(s, &d.ops, "A-2", Some(&d.a.account));
    assert_eq!(s.push(&d.a, vec![command("order", &order, "decline")]), vec![None]);
    let (_, _, cursor_a) = pull(s, &d.staff_a, 0);
    let (_, _, cursor_b) = pull(s, &d.staff_b, 0);
    let c = json!({"command": "assign", "args": {"artisan_id": d.b.account}});
    let (st, v) = s.req(Some(&d.ops), &format!("/v1/orders/{order}/commands"), Some(c));
    assert_eq!(st, 200, "{v}");
    let key = ("order".to_string(), order.clone());
    let (changes, exits, cursor_a) = pull(s, &d.staff_a, cursor_a);
    assert!(exits.contains(&key) && !changes.contains(&key), "A's staff lose the reassigned order");
    let (changes, _, cursor_b) = pull(s, &d.staff_b, cursor_b);
    assert!(changes.contains(&key), "B's staff receive it");

    // Operations move a to North (the console's form): her records leave A's staff, reach B's.
    let status = post(s, &so, &format!("/console/people/{}/depot", d.a.account), &[("depot_id", &d.north)]);
    assert_eq!(status, 303);
    let hers = [("draft".to_string(), d.draft_a.clone()), ("order".to_string(), d.order_a.clone())];
    let (_, exits, _) = pull(s, &d.staff_a, cursor_a);
    let (changes, _, _) = pull(s, &d.staff_b, cursor_b);
    for r in &hers {
        assert!(exits.contains(r), "A's staff lose {r:?}");
        assert!(changes.contains(r), "B's staff receive {r:?}");
    }
    assert_eq!(pull(s, &d.staff_b, 0).0, staff_scope(&d, &d.staff_b), "B's staff's feed from the start after the move");
    assert_eq!(pull(s, &d.staff_a, 0).0, staff_scope(&d, &d.staff_a), "A's staff's feed from the start after the move");
    let (_, rb) = s.req(Some(&d.staff_b), "/v1/depot", None);
    assert!(ids(&rb["waiting"]).contains(&d.order_a), "{rb}");
    let (st, v) = s.req(Some(&d.staff_b), &format!("/v1/orders/{}/commands", d.order_a), Some(json!({"command": "ship"})));
    assert_eq!(st, 200, "B's staff act on her order now: {v}");
    let (st, _) = s.req(Some(&d.staff_a), &format!("/v1/orders/{}/commands", d.order_a), Some(json!({"command": "deliver"})));
    assert_eq!(st, 404, "A's staff no longer do");
    let (_, audit) = page(s, &so, "/console/audit");
    assert!(audit.contains("account.set_depot") && audit.contains("depot.add"), "{audit}");
    // Her mentor coaches her wherever she is.
    let (_, mentees) = s.req(Some(&d.mentor), "/v1/mentees", None);
    let listed: BTreeSet<&str> =
        mentees["mentees"].as_array().unwrap().iter().map(|m| m["account_id"].as_str().unwrap()).collect();
    assert_eq!(listed, BTreeSet::from([d.a.account.as_str(), d.b.account.as_str()]));
    let (got, _, _) = pull(s, &d.mentor, 0);
    assert!(got.contains(&("draft".to_string(), d.draft_a.clone())) && got.contains(&("draft".to_string(), d.draft_b.clone())));
}

// ---- A store made before migration 014 ---------------------------------------------------------

/// Turn the stopped depot's store into one made before migration 014: the migrations but the
/// last, as `backup.rs` builds an older store, holding every row the depot wrote (the columns
/// that store has). Its version: 13.
fn make_older(data: &Path) -> u32 {
    let migrations = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/store/migrations/sqlite");
    let mut files: Vec<_> = std::fs::read_dir(migrations).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(files.pop().unwrap().ends_with("014_depots.sql"), "014 is the last migration");
    let written = data.join("written.db");
    {
        // Fold the write-ahead log in, so that one file holds the depot's rows.
        let c = rusqlite::Connection::open(data.join("depot.db")).unwrap();
        c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())).unwrap();
    }
    std::fs::rename(data.join("depot.db"), &written).unwrap();
    for f in ["depot.db-wal", "depot.db-shm"] {
        let _ = std::fs::remove_file(data.join(f));
    }
    let conn = rusqlite::Connection::open(data.join("depot.db")).unwrap();
    conn.pragma_update(None, "journal_mode", "wal").unwrap();
    for f in &files {
        conn.execute_batch(&std::fs::read_to_string(f).unwrap()).unwrap();
    }
    conn.execute("ATTACH DATABASE ?1 AS written", [written.to_str().unwrap()]).unwrap();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM main.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for t in &tables {
        let cols: Vec<String> = conn
            .prepare(&format!("SELECT name FROM pragma_table_info('{t}')"))
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let cols = cols.join(", ");
        conn.execute_batch(&format!("INSERT INTO main.{t} ({cols}) SELECT {cols} FROM written.{t}")).unwrap();
    }
    conn.execute_batch("DETACH DATABASE written").unwrap();
    conn.pragma_update(None, "user_version", files.len() as u32).unwrap();
    drop(conn);
    std::fs::remove_file(&written).unwrap();
    files.len() as u32
}

#[test]
fn a_store_made_before_depots_upgrades_into_the_default_depot_and_behaves_as_before() {
    // A SQLite file rebuilt at version 13 whichever store the suite is on; PostgreSQL's 014
    // data step is compared with SQLite's by `pg_schema.rs`.
    let mut s = Server::start_on_sqlite();
    let ops = s.device("operations", "Ops desk", None);
    let staff = s.device("staff", "Desk", None);
    let mentor = s.device("mentor", "Mama Wanjiku", None);
    let artisan = s.device("artisan", "Akinyi", Some(&mentor.account));
    let draft = common::uuid_like();
    assert_eq!(s.push(&artisan, vec![field_write(&draft, "draft", "title", json!("Kiondo"))]), vec![None]);
    assert_eq!(s.push(&staff, vec![stock_entry(&draft, 4)]), vec![None]);
    let order = import(&s, &ops, "OLD-1", Some(&artisan.account));
    ready(&s, &artisan, &order);
    let unassigned = import(&s, &ops, "OLD-2", None);
    let (_, _, staff_cursor) = pull(&s, &staff, 0);

    // Stopped, its store made as a depot before migration 014 kept it, started again.
    s.signal("TERM");
    assert!(s.wait_exit(std::time::Duration::from_secs(20)).success());
    let data = s.data_dir();
    assert_eq!(make_older(&data), 13);
    {
        let c = rusqlite::Connection::open(data.join("depot.db")).unwrap();
        let no_depots: bool =
            c.query_row("SELECT NOT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'depots')", [], |r| r.get(0)).unwrap();
        assert!(no_depots, "an older store has no depots");
        let n: i64 = c.query_row("SELECT COUNT(*) FROM records", [], |r| r.get(0)).unwrap();
        assert!(n >= 4, "it holds what the depot wrote");
    }
    let check = std::process::Command::new(common::BIN).args(["migrate", "--check", "--data-dir"]).arg(&data).output().unwrap();
    assert_eq!(check.status.code(), Some(2), "a migration is pending: {check:?}");
    assert!(String::from_utf8_lossy(&check.stdout).contains("schema version 13"), "{check:?}");
    s.restart(&[]);

    // One depot, the default, holding every artisan, mentor and staff account; operations none.
    let list: Value = serde_json::from_str(&s.cli(&["depot", "list", "--json"])).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(
        (
            list[0]["id"].as_str(),
            list[0]["default"].as_bool(),
            list[0]["artisans"].as_i64(),
            list[0]["mentors"].as_i64(),
            list[0]["staff"].as_i64()
        ),
        (Some(DEFAULT_DEPOT), Some(true), Some(1), Some(1), Some(1)),
        "{list}"
    );
    let depots = depot_of(&s);
    for who in [&staff, &mentor, &artisan] {
        assert_eq!(depots[&who.account], DEFAULT_DEPOT);
    }
    assert_eq!(depots[&ops.account], "", "operations belong to no depot");
    let (_, me) = s.req(Some(&staff), "/v1/me", None);
    assert_eq!(me["depot_id"], DEFAULT_DEPOT, "{me}");

    // As before: the staff see the whole deployment, which is their depot, and act on it.
    let (st, report) = s.req(Some(&staff), "/v1/depot", None);
    assert_eq!(st, 200, "{report}");
    assert_eq!(ids(&report["waiting"]), BTreeSet::from([order.clone()]));
    assert_eq!(ids(&report["unassigned"]), BTreeSet::from([unassigned.clone()]));
    assert_eq!(report["stock"], json!({ draft.clone(): 4 }));
    let (changes, exits, _) = pull(&s, &staff, staff_cursor);
    assert!(changes.is_empty() && exits.is_empty(), "the upgrade moved nothing in the feed: {changes:?} {exits:?}");
    assert_eq!(pull(&s, &staff, 0).0, pull(&s, &ops, 0).0, "staff see what operations see: one depot");
    for c in ["receive", "qc_pass"] {
        let (st, v) = s.req(Some(&staff), &format!("/v1/orders/{order}/commands"), Some(json!({"command": c})));
        assert_eq!(st, 200, "{c}: {v}");
    }
    assert_eq!(s.push(&staff, vec![stock_entry(&draft, 1)]), vec![None]);
    // New accounts join the default depot; a second depot's staff see none of the old records.
    let newer = s.device("artisan", "Wanjiru", None);
    assert_eq!(depot_of(&s)[&newer.account], DEFAULT_DEPOT);
    let north = s.add_depot("North");
    let far = s.device_in(&north, "staff", "North desk", None);
    let (got, _, _) = pull(&s, &far, 0);
    assert!(got.iter().all(|(k, id)| k == "order" && id == &unassigned), "North's staff see only the order of no one's: {got:?}");
    let (st, v) = s.req(Some(&far), &format!("/v1/orders/{order}/commands"), Some(json!({"command": "ship"})));
    assert_eq!((st, v["error"].as_str()), (404, Some("not_found")));
}

// ---- The command line --------------------------------------------------------------------------

#[test]
fn depots_are_added_and_listed_accounts_enrolled_into_and_moved_between_them_and_a_wrong_id_is_said() {
    let s = Server::start();
    let listed = |s: &Server| -> Value { serde_json::from_str(&s.cli(&["depot", "list", "--json"])).unwrap() };
    assert_eq!(listed(&s).as_array().unwrap().len(), 1, "a new deployment is one depot");

    let added: Value = serde_json::from_str(&s.cli(&["depot", "add", "--json", "--name", "Kisumu"])).unwrap();
    let kisumu = added["id"].as_str().unwrap().to_string();
    assert_eq!(added["name"], "Kisumu");
    let text = s.cli(&["depot", "add", "--name", "Mombasa"]);
    assert!(text.starts_with("depot ") && text.contains("(Mombasa)"), "{text}");
    let err = s.cli_fails(&["depot", "add", "--name", "Kisumu"]);
    assert!(err.contains("Kisumu") && err.contains("already"), "a taken name: {err}");

    // enroll --depot: the depot named; the default one when omitted.
    let (in_kisumu, _) = s.account_in(&kisumu, "staff", "Kisumu desk", None);
    let (in_default, _) = s.account("artisan", "Akinyi", None);
    let artisan_in_kisumu = s.device_in(&kisumu, "artisan", "Otieno", None);
    let depots = depot_of(&s);
    assert_eq!((depots[&in_kisumu].as_str(), depots[&in_default].as_str()), (kisumu.as_str(), DEFAULT_DEPOT));
    assert_eq!(depots[&artisan_in_kisumu.account], kisumu);
    let list = listed(&s);
    let row = |id: &str| list.as_array().unwrap().iter().find(|d| d["id"] == id).unwrap().clone();
    assert_eq!((row(&kisumu)["staff"].as_i64(), row(&kisumu)["artisans"].as_i64()), (Some(1), Some(1)));
    assert_eq!((row(DEFAULT_DEPOT)["artisans"].as_i64(), row(DEFAULT_DEPOT)["default"].as_bool()), (Some(1), Some(true)));
    let text = s.cli(&["depot", "list"]);
    assert!(text.contains("Main depot (default): 1 artisans, 0 mentors, 0 staff"), "{text}");
    assert!(text.contains("Kisumu: 1 artisans, 0 mentors, 1 staff"), "{text}");

    // A wrong depot id is said in words, and makes nothing.
    let accounts = depot_of(&s).len();
    let err = s.cli_fails(&["enroll", "--role", "staff", "--name", "Nobody", "--depot", "no-such-depot"]);
    assert!(err.contains("no depot has the id \"no-such-depot\"") && err.contains("depot list"), "{err}");
    let err = s.cli_fails(&["enroll", "--role", "operations", "--name", "Ops", "--depot", &kisumu]);
    assert!(err.contains("operations accounts belong to no depot"), "{err}");
    assert_eq!(depot_of(&s).len(), accounts, "no account made");

    // set-depot: moved and audited; a wrong depot, an unknown account and an operations account refused.
    let moved: Value =
        serde_json::from_str(&s.cli(&["set-depot", "--json", "--account", &in_default, "--depot", &kisumu])).unwrap();
    assert!(moved["exits"].is_u64() && moved["restamped"].is_u64(), "{moved}");
    assert_eq!(depot_of(&s)[&in_default], kisumu);
    let err = s.cli_fails(&["set-depot", "--account", &in_default, "--depot", "nowhere"]);
    assert!(err.contains("no depot has the id \"nowhere\""), "{err}");
    let err = s.cli_fails(&["set-depot", "--account", &common::uuid_like(), "--depot", &kisumu]);
    assert!(err.contains("no such account"), "{err}");
    let ops = s.device("operations", "Ops", None);
    let err = s.cli_fails(&["set-depot", "--account", &ops.account, "--depot", &kisumu]);
    assert!(err.contains("operations accounts belong to no depot"), "{err}");
    let audit = rows(&s, "SELECT action, target, detail FROM audit_log ORDER BY id");
    let moves: Vec<&Vec<String>> = audit.iter().filter(|r| r[0] == "account.set_depot").collect();
    assert_eq!(moves.len(), 1, "{audit:?}");
    assert_eq!(
        (moves[0][1].as_str(), moves[0][2].as_str()),
        (in_default.as_str(), format!("from {DEFAULT_DEPOT} to {kisumu}").as_str())
    );
    assert_eq!(audit.iter().filter(|r| r[0] == "depot.add").count(), 2);

    // Over the API: operations enroll into any depot, staff into their own; a wrong id is invalid.
    let staff = s.device_in(&kisumu, "staff", "Kisumu desk 2", None);
    let (st, v) = s.req(Some(&ops), "/v1/enrollments", Some(json!({"role": "artisan", "name": "A", "depot_id": "nowhere"})));
    assert_eq!((st, v["error"].as_str()), (422, Some("invalid")), "{v}");
    let (st, v) =
        s.req(Some(&staff), "/v1/enrollments", Some(json!({"role": "artisan", "name": "B", "depot_id": DEFAULT_DEPOT})));
    assert_eq!((st, v["error"].as_str()), (403, Some("forbidden")), "{v}");
    let (st, v) = s.req(Some(&staff), "/v1/enrollments", Some(json!({"role": "artisan", "name": "C"})));
    assert_eq!(st, 200, "{v}");
    assert_eq!(depot_of(&s)[v["account_id"].as_str().unwrap()], kisumu, "staff enroll into their own depot");
}
