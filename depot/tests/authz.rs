//! The authorization matrix against a real depot: every endpoint, every role, own and others'
//! records. Expected outcomes are stated independently of the server's code (from the design),
//! and every forbidden read or write must be refused with nothing stored.

mod common;
use common::{command, field_write, stock_entry, Dev, Server};
use serde_json::{json, Value};

struct World {
    s: Server,
    a1: Dev,
    b1: Dev,
    ma: Dev,
    mb: Dev,
    staff: Dev,
    ops: Dev,
    draft_a: String,
    draft_b: String,
    order_a: String,
}

fn world() -> World {
    let s = Server::start();
    let ma = s.device("mentor", "ma", None);
    let mb = s.device("mentor", "mb", None);
    let a1 = s.device("artisan", "a1", Some(&ma.account));
    let b1 = s.device("artisan", "b1", Some(&mb.account));
    let staff = s.device("staff", "staff", None);
    let ops = s.device("operations", "ops", None);
    let draft_a = common::uuid_like();
    let draft_b = common::uuid_like();
    assert_eq!(s.push(&a1, vec![field_write(&draft_a, "draft", "title", json!("A's basket"))]), vec![None]);
    assert_eq!(s.push(&b1, vec![field_write(&draft_b, "draft", "title", json!("B's bowl"))]), vec![None]);
    s.import_csv(&format!(
        "source,external_ref,product,quantity,price_minor,artisan_id\nshop,1,Basket,1,1000,{}\nshop,2,Bowl,1,1000,{}\n",
        a1.account, b1.account
    ));
    let orders: Vec<Value> = s.pull_all(&ops).into_iter().filter(|c| c["kind"] == "order").collect();
    let order_a =
        orders.iter().find(|o| o["body"]["artisan_id"] == a1.account.as_str()).unwrap()["id"].as_str().unwrap().to_string();
    assert_eq!(s.push(&staff, vec![stock_entry(&draft_a, 2), stock_entry(&draft_b, 3)]), vec![None, None]);
    World { s, a1, b1, ma, mb, staff, ops, draft_a, draft_b, order_a }
}

/// A new draft of a1's (submitted for review when `submitted`).
fn fresh_draft(w: &World, submitted: bool) -> String {
    let id = common::uuid_like();
    let mut ms = vec![field_write(&id, "draft", "title", json!("fresh"))];
    if submitted {
        ms.push(command("draft", &id, "submit"));
    }
    assert!(w.s.push(&w.a1, ms).iter().all(Option::is_none));
    id
}

/// A new order assigned to a1.
fn fresh_order(w: &World) -> String {
    let (s, v) = w.s.req(
        Some(&w.ops),
        "/v1/orders",
        Some(json!({"orders": [{"source": "shop", "external_ref": common::uuid_like(), "product": "P", "quantity": 1, "price_minor": 100, "artisan_id": w.a1.account}]})),
    );
    assert_eq!(s, 200, "{v}");
    v["created"][0].as_str().unwrap().to_string()
}

#[test]
fn every_push_operation_by_every_role_on_own_and_others_records() {
    let w = world();
    let actors: Vec<(&str, &Dev)> =
        vec![("b1", &w.b1), ("mb", &w.mb), ("ma", &w.ma), ("staff", &w.staff), ("ops", &w.ops), ("a1", &w.a1)];
    // (operation, the actors allowed) — A's records, so a1 is the owner and ma the mentor.
    type Make<'a> = Box<dyn Fn(&str) -> Value + 'a>;
    let cases: Vec<(&str, Make<'_>, &[&str])> = vec![
        ("draft title", Box::new(|v: &str| field_write(&w.draft_a, "draft", "title", json!(v))), &["staff", "ops", "a1"]),
        (
            "draft review note",
            Box::new(|v: &str| field_write(&w.draft_a, "draft", "review_note", json!(v))),
            &["ma", "staff", "ops"],
        ),
        (
            "draft unknown field",
            Box::new(|v: &str| field_write(&w.draft_a, "draft", "x_future", json!(v))),
            &["staff", "ops", "a1"],
        ),
        (
            "profile",
            Box::new(|v: &str| field_write(&w.a1.account, "profile", "display_name", json!(v))),
            &["ma", "staff", "ops", "a1"],
        ),
        ("stock entry", Box::new(|_: &str| stock_entry(&w.draft_a, 1)), &["staff", "ops"]),
        // Workflow commands act on a fresh record each time, so an earlier allowed command
        // does not move the state under a later one.
        ("submit draft", Box::new(|_: &str| command("draft", &fresh_draft(&w, false), "submit")), &["a1"]),
        ("approve draft", Box::new(|_: &str| command("draft", &fresh_draft(&w, true), "approve")), &["ma", "staff"]),
        ("request changes", Box::new(|_: &str| command("draft", &fresh_draft(&w, true), "request_changes")), &["ma", "staff"]),
        ("accept order", Box::new(|_: &str| command("order", &fresh_order(&w), "accept")), &["a1"]),
        ("cancel order", Box::new(|_: &str| command("order", &fresh_order(&w), "cancel")), &["ops"]),
    ];
    let mut refused = 0;
    let mut forbidden_total = 0;
    for (name, make, allowed) in &cases {
        for (who, dev) in &actors {
            let marker = format!("{name} by {who}");
            let result = w.s.push(dev, vec![make(&marker)]);
            let ok = allowed.contains(who);
            if ok {
                assert_eq!(result, vec![None], "{marker} must be allowed");
            } else {
                forbidden_total += 1;
                let code = result[0].clone().unwrap_or_else(|| panic!("{marker} must be refused"));
                assert!(code == "forbidden" || code == "not_found", "{marker}: {code}");
                refused += 1;
            }
        }
    }
    assert_eq!(refused, forbidden_total);
    // Nothing a refused write carried was stored anywhere.
    let all = serde_json::to_string(&w.s.pull_all(&w.ops)).unwrap();
    for (name, _, allowed) in &cases {
        for (who, _) in &actors {
            if !allowed.contains(who) {
                assert!(!all.contains(&format!("{name} by {who}\"")), "{name} by {who} was stored");
            }
        }
    }
    // The stock of A's product: 2 initially + one each from staff and ops.
    let stock: i64 =
        w.s.pull_all(&w.ops)
            .iter()
            .filter(|c| c["kind"] == "stock" && c["body"]["entry"]["product_id"] == w.draft_a.as_str())
            .map(|c| c["body"]["entry"]["delta"].as_i64().unwrap())
            .sum();
    assert_eq!(stock, 4);
}

#[test]
fn pulls_see_exactly_what_each_role_may_read() {
    let w = world();
    // A refused write of a1's gives a1 (only) a rejection record.
    assert_eq!(w.s.push(&w.a1, vec![command("draft", &w.draft_b, "submit")]), vec![Some("not_found".into())]);
    let owner_of = |c: &Value| -> Option<String> {
        match c["kind"].as_str().unwrap() {
            "order" => c["body"]["artisan_id"].as_str().map(String::from),
            _ => c["body"]["owner"].as_str().map(String::from),
        }
    };
    let a1 = w.s.pull_all(&w.a1);
    assert!(!a1.is_empty());
    for c in &a1 {
        if c["kind"] == "rejection" {
            assert_eq!(c["body"]["device_id"], w.a1.device.as_str());
        } else {
            assert_eq!(owner_of(c).as_deref(), Some(w.a1.account.as_str()), "a1 must not see {c}");
        }
    }
    assert!(a1.iter().any(|c| c["kind"] == "stock"), "a1 sees stock of their own products");
    for c in w.s.pull_all(&w.b1) {
        assert_eq!(owner_of(&c).as_deref(), Some(w.b1.account.as_str()));
    }
    for c in w.s.pull_all(&w.ma) {
        assert_eq!(owner_of(&c).as_deref(), Some(w.a1.account.as_str()), "mentor A sees only mentee a1: {c}");
    }
    assert!(w.s.pull_all(&w.mb).iter().all(|c| owner_of(c).as_deref() == Some(w.b1.account.as_str())));
    for dev in [&w.staff, &w.ops] {
        let all = w.s.pull_all(dev);
        assert!(all.iter().any(|c| c["id"] == w.draft_a.as_str()) && all.iter().any(|c| c["id"] == w.draft_b.as_str()));
        assert!(all.iter().all(|c| c["kind"] != "rejection"), "refusals go only to their sender");
    }
}

#[test]
fn every_http_endpoint_by_every_role() {
    let w = world();
    let roles: Vec<(&str, &Dev)> = vec![("artisan", &w.a1), ("mentor", &w.ma), ("staff", &w.staff), ("operations", &w.ops)];
    let mut refused = 0;
    let mut forbidden = 0;
    let mut check = |what: &str, status: u16, allowed: bool| {
        if allowed {
            assert_eq!(status, 200, "{what} must be allowed");
        } else {
            forbidden += 1;
            assert!(matches!(status, 401 | 403 | 404), "{what} must be refused, got {status}");
            refused += 1;
        }
    };
    for (role, dev) in &roles {
        // Enrollments: mentors and staff enroll artisans; operations anyone; artisans nobody.
        for target in ["artisan", "mentor", "staff", "operations"] {
            let (s, _) = w.s.req(Some(dev), "/v1/enrollments", Some(json!({"role": target, "name": "New person"})));
            let allowed = *role == "operations" || (target == "artisan" && matches!(*role, "mentor" | "staff"));
            check(&format!("{role} enrolls {target}"), s, allowed);
        }
        let (s, _) = w.s.req(Some(dev), "/v1/orders", Some(json!({"orders": [{"source": "shop", "external_ref": format!("x-{role}"), "product": "P", "quantity": 1, "price_minor": 100}]})));
        check(&format!("{role} imports orders"), s, *role == "operations");
        let (s, _) = w.s.req(Some(dev), "/v1/depot", None);
        check(&format!("{role} reads the depot report"), s, matches!(*role, "staff" | "operations"));
        let (s, _) = w.s.req(Some(dev), &format!("/v1/orders/{}/commands", w.order_a), Some(json!({"command": "accept"})));
        check(&format!("{role} accepts via the operations API"), s, false);
        let (s, _) = w.s.req(Some(dev), "/v1/me", None);
        check(&format!("{role} reads itself"), s, true);
        // A replacement code for a1 (mentor A's mentee) and for b1 (mentor B's).
        for (target, owner_mentor) in [(&w.a1.account, "ma"), (&w.b1.account, "mb")] {
            let (s, _) = w.s.req(Some(dev), &format!("/v1/accounts/{target}/codes"), Some(json!({})));
            let me = if *role == "mentor" { "ma" } else { "" };
            let allowed = matches!(*role, "operations" | "staff") || (me == owner_mentor);
            check(&format!("{role} issues a code for {owner_mentor}'s mentee"), s, allowed);
        }
    }
    // Without a credential, everything but enrollment, health and the API document is refused.
    for (path, body) in [
        ("/v1/me", None),
        ("/v1/sync/pull", None),
        ("/v1/depot", None),
        ("/v1/token", Some(json!({}))),
        ("/v1/sync/push", Some(json!({}))),
    ] {
        let (s, v) = w.s.req(None, path, body);
        assert_eq!((s, v["error"].as_str()), (401, Some("unauthorized")), "{path}");
    }
    assert_eq!(w.s.req(None, "/v1/health", None).0, 200);
    assert_eq!(w.s.req(None, "/openapi.json", None).0, 200);
    // A device pushes only as itself.
    let (s, v) = w.s.req(Some(&w.a1), "/v1/sync/push", Some(json!({"protocol": 1, "device_id": w.b1.device, "mutations": []})));
    assert_eq!((s, v["error"].as_str()), (403, Some("forbidden")));
    // Revoking: the owner and their mentor may; another artisan, the other mentor and staff may not.
    for (who, dev, allowed) in [("b1", &w.b1, false), ("mb", &w.mb, false), ("staff", &w.staff, false), ("ma", &w.ma, true)] {
        let (s, _) = w.s.req(Some(dev), &format!("/v1/devices/{}/revoke", w.a1.device), Some(json!({})));
        check(&format!("{who} revokes a1's phone"), s, allowed);
    }
    let (s, v) = w.s.req(Some(&w.a1), "/v1/me", None);
    assert_eq!((s, v["error"].as_str()), (401, Some("revoked")));
    assert_eq!(refused, forbidden);
    let _ = &w.draft_b;
}
