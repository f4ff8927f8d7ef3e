//! The published catalog on a real depot process (issue 15, ADR 0025): an approved draft
//! becomes a product its artisan pulls; operations put it on sale and take it off; a revision
//! goes through review again while the approved version stays on sale; products are written by
//! the depot only; a product keeps its photos when the next version drops them.

mod common;
use common::{command, field_write, Server};
use serde_json::{json, Value};

fn product(server: &Server, id: &str) -> Value {
    let row = server.records().into_iter().find(|r| r.0 == "product" && r.1 == id).expect("a product record");
    serde_json::from_str(&row.4).unwrap()
}

fn versions(server: &Server, id: &str) -> Vec<(i64, String)> {
    let db = server.db();
    let mut q = db.prepare("SELECT version, approved_by FROM product_versions WHERE product_id = ?1 ORDER BY version").unwrap();
    q.query_map([id], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect()
}

#[test]
fn an_approved_draft_becomes_a_product_that_stays_on_sale_while_its_next_version_is_reviewed() {
    let server = Server::start();
    let mentor = server.device("mentor", "m", None);
    let artisan = server.device("artisan", "a", Some(&mentor.account));
    let staff = server.device("staff", "s", None);
    let ops = server.device("operations", "o", None);

    // Submitted, not yet approved: no product.
    let id = common::uuid_like();
    let ms = vec![field_write(&id, "draft", "title", json!("Kikapu")), command("draft", &id, "submit")];
    assert_eq!(server.push(&artisan, ms), vec![None, None]);
    assert!(!server.records().iter().any(|r| r.0 == "product"), "no product before approval");
    assert_eq!(server.push(&mentor, vec![command("draft", &id, "approve")]), vec![None]);
    let p = product(&server, &id);
    assert_eq!(
        (p["version"].as_i64(), p["title"].as_str(), p["listing"].as_str()),
        (Some(1), Some("Kikapu"), Some("awaiting_price"))
    );
    assert_eq!(versions(&server, &id), vec![(1, mentor.account.clone())]);
    // The artisan's phone pulls it.
    let pulled = server.pull_all(&artisan);
    assert!(pulled.iter().any(|c| c["kind"] == "product" && c["id"] == id.as_str()), "the artisan pulls her product");

    // Only operations list it in the shop, with a price in a shop currency (in dollars, with a
    // rate in force: ADR 0027).
    server.cli(&["exchange-rate", "--currency", "USD", "--from", "2000-01-01", "--kes", "129.50"]);
    let listing = format!("/v1/products/{id}/listing");
    let (s, v) = server.req(Some(&staff), &listing, Some(json!({"action": "publish", "price_minor": 2500, "currency": "USD"})));
    assert_eq!((s, v["error"].as_str()), (403, Some("forbidden")), "{v}");
    for bad in [
        json!({"action": "publish", "price_minor": 0, "currency": "USD"}),
        json!({"action": "publish", "price_minor": 2500, "currency": "XYZ"}),
    ] {
        let (s, v) = server.req(Some(&ops), &listing, Some(bad));
        assert_eq!(s, 422, "{v}");
    }
    let (s, v) =
        server.req(Some(&ops), &format!("/v1/products/{}/listing", common::uuid_like()), Some(json!({"action": "unpublish"})));
    assert_eq!(s, 404, "{v}");
    let (s, v) = server.req(Some(&ops), &listing, Some(json!({"action": "publish", "price_minor": 2500, "currency": "USD"})));
    assert_eq!(s, 200, "{v}");
    assert_eq!((v["listing"].as_str(), v["shop_price_minor"].as_i64()), (Some("published"), Some(2500)));

    // A new version: editable again, reviewed again; the approved one stays on sale meanwhile.
    assert_eq!(server.push(&artisan, vec![command("draft", &id, "revise")]), vec![None]);
    assert_eq!(server.push(&artisan, vec![field_write(&id, "draft", "title", json!("Kikapu kikubwa"))]), vec![None]);
    assert_eq!(product(&server, &id)["title"], "Kikapu", "the approved version stays until the next approval");
    assert_eq!(server.push(&artisan, vec![command("draft", &id, "submit")]), vec![None]);
    assert_eq!(server.push(&staff, vec![command("draft", &id, "approve")]), vec![None]);
    let p = product(&server, &id);
    assert_eq!((p["version"].as_i64(), p["title"].as_str()), (Some(2), Some("Kikapu kikubwa")));
    assert_eq!(
        (p["listing"].as_str(), p["shop_price_minor"].as_i64()),
        (Some("published"), Some(2500)),
        "still on sale at its price"
    );
    assert_eq!(versions(&server, &id), vec![(1, mentor.account.clone()), (2, staff.account.clone())]);

    // Off sale, audited.
    let (s, v) = server.req(Some(&ops), &listing, Some(json!({"action": "unpublish"})));
    assert_eq!((s, v["listing"].as_str()), (200, Some("unpublished")), "{v}");
    let audited: i64 = server
        .db()
        .query_row("SELECT COUNT(*) FROM audit_log WHERE action = 'product_listing' AND target = ?1", [&id], |r| r.get(0))
        .unwrap();
    assert_eq!(audited, 2, "publish and unpublish are in the audit log");

    // Operations see it listed with its artisan.
    let (s, v) = server.req(Some(&ops), "/v1/products", None);
    assert_eq!(s, 200, "{v}");
    let listed = v.as_array().unwrap().iter().find(|p| p["id"] == id.as_str()).unwrap();
    assert_eq!((listed["artisan"].as_str(), listed["held"].as_i64()), (Some("a"), Some(0)), "{listed}");
}

#[test]
fn products_are_written_by_the_depot_only() {
    let server = Server::start();
    let mentor = server.device("mentor", "m", None);
    let artisan = server.device("artisan", "a", Some(&mentor.account));
    let ops = server.device("operations", "o", None);
    let id = server.approved_product(&artisan, &mentor, "Kikapu", 150_000, 2);
    for dev in [&artisan, &ops] {
        let forged = field_write(&id, "product", "listing", json!("published"));
        assert_eq!(server.push(dev, vec![forged]), vec![Some("forbidden".to_string())]);
    }
    assert_eq!(product(&server, &id)["listing"], "awaiting_price");
}

#[test]
fn a_product_keeps_its_photos_while_the_next_version_drops_them() {
    let server = Server::start();
    let mentor = server.device("mentor", "m", None);
    let artisan = server.device("artisan", "a", Some(&mentor.account));
    let photo = common::photo(7, 3000);
    let id = server.photo_draft(&artisan, &[&photo]);
    let sha = common::sha(&photo);
    let loc = server.tus_start(&artisan, &photo);
    assert_eq!(server.tus_send(&artisan, &loc, &photo, 0, 4096).status, 204);
    assert_eq!(server.push(&artisan, vec![command("draft", &id, "submit")]), vec![None]);
    assert_eq!(server.push(&mentor, vec![command("draft", &id, "approve")]), vec![None]);
    assert_eq!(product(&server, &id)["photos"], json!([sha]));

    assert_eq!(server.push(&artisan, vec![command("draft", &id, "revise")]), vec![None]);
    assert_eq!(server.push(&artisan, vec![field_write(&id, "draft", "photos", json!([]))]), vec![None]);
    let refs: Vec<String> = {
        let db = server.db();
        let mut q = db.prepare("SELECT kind FROM blob_refs WHERE sha256 = ?1 ORDER BY kind").unwrap();
        q.query_map([&sha], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    };
    // (The draft may still hold the old list as a conflict: this write named no base.)
    assert!(refs.contains(&"product".to_string()), "the published version still refers to its photo: {refs:?}");
}

#[test]
fn only_an_order_for_a_catalog_product_goes_into_stock() {
    let server = Server::start();
    let artisan = server.device("artisan", "a", None);
    let staff = server.device("staff", "s", None);
    server.import_csv(&format!(
        "source,external_ref,product,quantity,price_minor,artisan_id\nshop,S-1,Kiondo,2,250000,{}\n",
        artisan.account
    ));
    let order = server.pull_all(&artisan).into_iter().find(|c| c["kind"] == "order").unwrap()["id"].as_str().unwrap().to_string();
    let ms = ["accept", "start_production", "mark_ready"].map(|c| command("order", &order, c)).to_vec();
    assert_eq!(server.push(&artisan, ms), vec![None, None, None]);
    for c in ["receive", "qc_pass"] {
        let (s, v) = server.req(Some(&staff), &format!("/v1/orders/{order}/commands"), Some(json!({"command": c})));
        assert_eq!(s, 200, "{v}");
    }
    let (s, v) = server.req(Some(&staff), &format!("/v1/orders/{order}/commands"), Some(json!({"command": "stock"})));
    assert_eq!((s, v["error"].as_str()), (422, Some("invalid")), "an order without a product id: {v}");
    assert!(!server.records().iter().any(|r| r.0 == "stock"), "no movement");
}
