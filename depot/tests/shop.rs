//! The public shop on a real depot process (issue 15 item 2, ADR 0025): its pages, photos and
//! feed show exactly the products on sale and answer everything else with the same 404; the
//! feed's ETag changes exactly when what a shop sees changes, and `If-None-Match` then saves the
//! download; a photo is public only while a product on sale shows it; and nothing private
//! reaches any public answer (the leak test: every private field holds a marker, and no marker
//! appears in any page, feed, photo answer or header, until the artisan agrees to publish her
//! name and story).

mod common;
use common::{command, field_write, stock_entry, Answer, Dev, Server};
use serde_json::{json, Value};

fn get(server: &Server, path: &str) -> Answer {
    server.send(None, "GET", path, &[], None)
}

fn get_with(server: &Server, path: &str, headers: &[(&str, String)]) -> Answer {
    server.send(None, "GET", path, headers, None)
}

fn text(a: &Answer) -> String {
    String::from_utf8_lossy(&a.body).into_owned()
}

fn feed(server: &Server) -> Value {
    let a = get(server, "/shop/feed.json");
    assert_eq!(a.status, 200, "{}", text(&a));
    serde_json::from_slice(&a.body).unwrap()
}

fn feed_ids(server: &Server) -> Vec<String> {
    feed(server)["products"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap().to_string()).collect()
}

/// A submitted draft of `artisan`'s that nobody approved, naming `photos` (uploaded): its id.
fn submitted_draft(server: &Server, artisan: &Dev, title: &str, photos: &[&[u8]]) -> String {
    let id = server.photo_draft(artisan, photos);
    for p in photos {
        let loc = server.tus_start(artisan, p);
        assert_eq!(server.tus_send(artisan, &loc, p, 0, 64 * 1024).status, 204);
    }
    let ms = vec![field_write(&id, "draft", "title", json!(title)), command("draft", &id, "submit")];
    assert_eq!(server.push(artisan, ms), vec![None, None]);
    id
}

struct Shop {
    server: Server,
    mentor: Dev,
    artisan: Dev,
    staff: Dev,
    ops: Dev,
}

/// A dollar rate in force, so operations may publish in dollars (ADR 0027).
fn dollars_rated(server: &Server) {
    server.cli(&["exchange-rate", "--currency", "USD", "--from", "2000-01-01", "--kes", "129.50"]);
}

fn shop() -> Shop {
    let server = Server::start();
    dollars_rated(&server);
    let mentor = server.device("mentor", "m", None);
    let artisan = server.device("artisan", "a", Some(&mentor.account));
    let staff = server.device("staff", "s", None);
    let ops = server.device("operations", "o", None);
    Shop { server, mentor, artisan, staff, ops }
}

#[test]
fn the_pages_and_the_feed_show_exactly_the_products_on_sale() {
    let Shop { server, mentor, artisan, ops, .. } = shop();
    let photo = common::photo(1, 3000);
    let on_sale = server.product_on_sale(&artisan, &mentor, &ops, "Kikapu on sale", 150_000, 3, &[&photo], true, 2500);
    let awaiting = server.approved_product(&artisan, &mentor, "Awaiting its price", 90_000, 1);
    let unpublished = server.product_on_sale(&artisan, &mentor, &ops, "Taken off sale", 80_000, 1, &[], false, 1999);
    server.listing(&ops, &unpublished, None);
    let draft = submitted_draft(&server, &artisan, "Never approved", &[]);
    let hidden = ["Awaiting its price", "Taken off sale", "Never approved"];

    // The list: the product on sale, its price in its currency, how it is had, its thumbnail.
    let list = get(&server, "/shop");
    assert_eq!(list.status, 200);
    assert_eq!(list.header("content-type").as_deref(), Some("text/html; charset=utf-8"));
    assert!(list.header("content-security-policy").is_some_and(|c| c.contains("default-src 'none'")));
    let page = text(&list);
    assert!(page.contains("Kikapu on sale") && page.contains("US$25.00") && page.contains("Made to order"), "{page}");
    assert!(page.contains(&format!("href=\"/shop/products/{on_sale}\"")), "{page}");
    assert!(page.contains(&format!("src=\"/shop/photos/{}/thumbnail\"", common::sha(&photo))), "{page}");
    assert!(page.contains("Baskets <span class=\"count\">(1)</span>"), "its category, counted: {page}");
    for h in hidden {
        assert!(!page.contains(h), "{h} is not on sale: {page}");
    }

    // The product's page.
    let one = get(&server, &format!("/shop/products/{on_sale}"));
    assert_eq!(one.status, 200);
    let page = text(&one);
    for shown in ["Kikapu on sale", "Kikapu on sale, made by hand", "sisal, dye", "Baskets", "US$25.00", "Made to order: "] {
        assert!(page.contains(shown), "{shown}: {page}");
    }
    assert!(page.contains(&format!("src=\"/shop/photos/{}\"", common::sha(&photo))), "{page}");

    // Everything else is one and the same 404 page.
    let missing: Vec<String> =
        [awaiting.as_str(), unpublished.as_str(), draft.as_str(), &common::uuid_like(), "not-an-id", "%FF%FE"]
            .iter()
            .map(|id| format!("/shop/products/{id}"))
            .chain(
                ["/shop?category=nope", "/shop?category=Baskets", "/shop?page=2", "/shop?page=0", "/shop?page=x"]
                    .map(String::from),
            )
            .collect();
    let first = get(&server, &missing[0]);
    assert_eq!((first.status, first.code().as_deref()), (404, Some("not_found")));
    assert_eq!(first.header("content-type").as_deref(), Some("text/html; charset=utf-8"));
    for path in &missing {
        let a = get(&server, path);
        assert_eq!((a.status, &a.body), (404, &first.body), "{path}: the same 404 page");
        assert_eq!(a.code().as_deref(), Some("not_found"), "{path}");
    }

    // A category: its products, or a page that says there are none; other parameters are ignored.
    assert!(text(&get(&server, "/shop?category=baskets")).contains("Kikapu on sale"));
    let pottery = get(&server, "/shop?category=pottery");
    assert_eq!(pottery.status, 200);
    assert!(text(&pottery).contains("Nothing is on sale here") && !text(&pottery).contains("Kikapu on sale"));
    for same in ["/shop?page=1", "/shop?utm_source=newsletter", "/shop?category="] {
        assert_eq!(get(&server, same).body, list.body, "{same}");
    }

    // The feed: the same product with absolute links, and nothing else.
    let f = feed(&server);
    let products = f["products"].as_array().unwrap();
    assert_eq!(products.len(), 1, "{f}");
    let p = &products[0];
    let sha = common::sha(&photo);
    assert_eq!(
        p,
        &json!({"id": on_sale, "version": 1, "title": "Kikapu on sale", "description": "Kikapu on sale, made by hand",
            "materials": ["sisal", "dye"], "category": "baskets", "category_name": "Baskets", "price_minor": 2500,
            "currency": "USD", "price": "25.00", "availability": "backorder",
            "link": format!("{}/shop/products/{on_sale}", server.url),
            "image_links": [format!("{}/shop/photos/{sha}", server.url)], "artisan_name": null})
    );
    let csv = get(&server, "/shop/feed.csv");
    assert_eq!((csv.status, csv.header("content-type").as_deref()), (200, Some("text/csv; charset=utf-8")));
    let mut rows = csv::Reader::from_reader(&csv.body[..]);
    let header: Vec<String> = rows.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header[..4], ["id", "version", "title", "description"]);
    let rows: Vec<csv::StringRecord> = rows.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1);
    let cell = |name: &str| rows[0][header.iter().position(|h| h == name).unwrap()].to_string();
    assert_eq!(
        (cell("id"), cell("price"), cell("currency"), cell("availability")),
        (on_sale.clone(), "25.00".into(), "USD".into(), "backorder".into())
    );
    assert_eq!(
        (cell("image_link"), cell("additional_image_links")),
        (format!("{}/shop/photos/{sha}", server.url), String::new())
    );
}

#[test]
fn the_feed_links_to_the_public_url_when_the_depot_has_one() {
    let server = Server::start_with(&["--public-url", "https://shop.example.org/fundi/"]);
    dollars_rated(&server);
    let mentor = server.device("mentor", "m", None);
    let artisan = server.device("artisan", "a", Some(&mentor.account));
    let ops = server.device("operations", "o", None);
    let photo = common::photo(2, 2000);
    let id = server.product_on_sale(&artisan, &mentor, &ops, "Kiondo", 100_000, 1, &[&photo], false, 4000);
    let p = &feed(&server)["products"][0];
    assert_eq!(p["link"], format!("https://shop.example.org/fundi/shop/products/{id}"));
    assert_eq!(p["image_links"], json!([format!("https://shop.example.org/fundi/shop/photos/{}", common::sha(&photo))]));

    // A public URL that is not one is refused at start.
    let out = std::process::Command::new(common::BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--public-url", "shop.example.org", "--data-dir"])
        .arg(server.dir.path().join("other"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("https://"), "{}", String::from_utf8_lossy(&out.stderr));
}

/// The ETag of `path` now, after checking that it names the body (its SHA-256) and that asking
/// with it answers 304 with no body.
fn etag(server: &Server, path: &str) -> String {
    let a = get(server, path);
    assert_eq!(a.status, 200, "{path}: {}", text(&a));
    let tag = a.header("etag").expect("an ETag");
    assert_eq!(tag, format!("\"{}\"", common::sha(&a.body)), "{path}: the hash of the body");
    let again = get_with(server, path, &[("if-none-match", tag.clone())]);
    assert_eq!((again.status, again.body.len()), (304, 0), "{path}");
    assert_eq!(again.header("etag"), Some(tag.clone()));
    tag
}

#[test]
fn the_feed_etag_changes_exactly_when_what_a_shop_sees_changes() {
    let Shop { server, mentor, artisan, staff, ops } = shop();
    let photo = common::photo(3, 2500);
    let kept = server.product_on_sale(&artisan, &mentor, &ops, "Kikapu", 150_000, 1, &[&photo], true, 2500);
    let routes = ["/shop/feed.json", "/shop/feed.csv", "/shop", &format!("/shop/products/{kept}")];
    let tags = |server: &Server| routes.map(|r| etag(server, r));
    let feeds = |server: &Server| [etag(server, routes[0]), etag(server, routes[1])];
    let mut before = tags(&server);

    // What a shop does not see changes nothing, anywhere.
    let unchanged = |server: &Server, before: &[String; 4], what: &str| {
        assert_eq!(&tags(server), before, "{what} changed nothing public");
    };
    server.import_csv(&format!(
        "source,external_ref,product,quantity,price_minor,artisan_id\nshop,E-1,Kikapu,1,250000,{}\n",
        artisan.account
    ));
    unchanged(&server, &before, "an order");
    let draft = submitted_draft(&server, &artisan, "A draft", &[]);
    assert_eq!(server.push(&mentor, vec![field_write(&draft, "draft", "review_note", json!("tighter weave"))]), vec![None]);
    unchanged(&server, &before, "a draft and its review note");
    let profile = vec![
        field_write(&artisan.account, "profile", "location", json!("Machakos")),
        field_write(&artisan.account, "profile", "display_name", json!("Wanjiku")),
    ];
    assert_eq!(server.push(&artisan, profile), vec![None, None]);
    unchanged(&server, &before, "her profile, not published");
    let awaiting = server.approved_product(&artisan, &mentor, "Kiondo", 90_000, 2);
    unchanged(&server, &before, "a product awaiting its price");

    // Stock: the availability changes the feed, the count does not.
    assert_eq!(feed(&server)["products"][0]["availability"], "backorder", "made to order");
    assert_eq!(server.push(&staff, vec![stock_entry(&kept, 2)]), vec![None]);
    let in_stock = tags(&server);
    assert!(in_stock.iter().zip(&before).all(|(a, b)| a != b), "made to order to in stock: {in_stock:?}");
    assert_eq!(feed(&server)["products"][0]["availability"], "in_stock");
    assert_eq!(server.push(&staff, vec![stock_entry(&kept, 3)]), vec![None]);
    unchanged(&server, &in_stock, "more pieces of a product in stock");
    assert_eq!(server.push(&staff, vec![stock_entry(&kept, -5)]), vec![None]);
    assert_eq!(tags(&server), before, "back to none held: back to the same body and ETag");

    // Published: in the feed; unpublished: out again, the very same feed as before.
    server.listing(&ops, &awaiting, Some(990));
    let published = feeds(&server);
    assert_ne!(published, before[..2], "a product published");
    assert_eq!(feed_ids(&server).len(), 2);
    let old = get_with(&server, "/shop/feed.json", &[("if-none-match", before[0].clone())]);
    assert_eq!(old.status, 200, "a shop holding the old feed downloads the new one");
    server.listing(&ops, &awaiting, Some(1290));
    let repriced = feeds(&server);
    assert_ne!(repriced, published, "a new shop price");
    server.listing(&ops, &awaiting, None);
    assert_eq!(feeds(&server), before[..2], "unpublished");

    // A new version: nothing until it is approved.
    assert_eq!(server.push(&artisan, vec![command("draft", &kept, "revise")]), vec![None]);
    assert_eq!(server.push(&artisan, vec![field_write(&kept, "draft", "title", json!("Kikapu kikubwa"))]), vec![None]);
    assert_eq!(server.push(&artisan, vec![command("draft", &kept, "submit")]), vec![None]);
    unchanged(&server, &before, "a revision under review");
    assert_eq!(server.push(&mentor, vec![command("draft", &kept, "approve")]), vec![None]);
    let approved = tags(&server);
    assert!(approved[..2].iter().zip(&before).all(|(a, b)| a != b), "a new version");
    assert_eq!(
        (feed(&server)["products"][0]["version"].as_i64(), feed(&server)["products"][0]["title"].as_str()),
        (Some(2), Some("Kikapu kikubwa"))
    );
    before = approved;

    // Her name once she agrees to publish it.
    assert_eq!(server.push(&artisan, vec![field_write(&artisan.account, "profile", "publish", json!(true))]), vec![None]);
    assert_ne!(feeds(&server), before[..2], "her published name");
    assert_eq!(feed(&server)["products"][0]["artisan_name"], "Wanjiku");
}

#[test]
fn a_photo_is_public_only_while_a_product_on_sale_shows_it() {
    let Shop { server, mentor, artisan, ops, .. } = shop();
    let jpeg = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/fuzz/photo_decode/baseline-40x30.jpg")).unwrap();
    let plain = common::photo(4, 3000);
    let (shown, bare) = (common::sha(&jpeg), common::sha(&plain));
    let id = server.product_on_sale(&artisan, &mentor, &ops, "Kikapu", 150_000, 1, &[&jpeg], true, 2500);
    let other = server.product_on_sale(&artisan, &mentor, &ops, "Kiondo", 150_000, 1, &[&plain], false, 2500);
    let private = common::photo(5, 2000);
    submitted_draft(&server, &artisan, "Not yet", &[&private]);

    let a = get(&server, &format!("/shop/photos/{shown}"));
    assert_eq!((a.status, &a.body), (200, &jpeg));
    assert_eq!(a.header("content-type").as_deref(), Some("image/jpeg"));
    assert_eq!(a.header("etag"), Some(format!("\"{shown}\"")));
    assert_eq!(a.header("cache-control").as_deref(), Some("public, max-age=300"));
    let part = get_with(&server, &format!("/shop/photos/{shown}"), &[("range", "bytes=0-9".into())]);
    assert_eq!((part.status, &part.body[..]), (206, &jpeg[..10]));
    let cached = get_with(&server, &format!("/shop/photos/{shown}"), &[("if-none-match", format!("\"{shown}\""))]);
    assert_eq!((cached.status, cached.body.len()), (304, 0));
    let thumb = get(&server, &format!("/shop/photos/{shown}/thumbnail"));
    assert_eq!((thumb.status, &thumb.body[..]), (200, &jpeg[..300]), "its thumbnail");
    assert_eq!(thumb.header("etag"), Some(format!("\"{}\"", common::sha(&jpeg[..300]))));
    // No thumbnail uploaded: the photo itself.
    let no_thumb = get(&server, &format!("/shop/photos/{bare}/thumbnail"));
    assert_eq!((no_thumb.status, &no_thumb.body), (200, &plain));
    assert_eq!(no_thumb.header("content-type").as_deref(), Some("application/octet-stream"), "not an image format");

    // Another artisan names the photo in a draft of hers and links a thumbnail of her own to it:
    // the shop serves the photo itself rather than guess whose thumbnail is right.
    let other_artisan = server.device("artisan", "b", None);
    let hers = server.photo_draft(&other_artisan, &[&jpeg]);
    server.tus_thumbnail(&other_artisan, b"not the artisan's thumbnail", &shown);
    let thumb = get(&server, &format!("/shop/photos/{shown}/thumbnail"));
    assert_eq!((thumb.status, &thumb.body), (200, &jpeg), "the photo, not a stranger's thumbnail");
    assert_eq!(thumb.header("etag"), Some(format!("\"{shown}\"")));
    let _ = hers;

    // A draft's photo, one nobody has: the same 404; a name that is not a hash: 400.
    for path in [format!("/shop/photos/{}", common::sha(&private)), format!("/shop/photos/{}", common::sha(b"none"))] {
        for p in [path.clone(), format!("{path}/thumbnail")] {
            assert_eq!(get(&server, &p).refusal(), (404, "not_found".to_string()), "{p}");
        }
    }
    assert_eq!(get(&server, "/shop/photos/ABC").refusal(), (400, "malformed".to_string()));

    // Off sale: gone; on sale again: back.
    server.listing(&ops, &id, None);
    for p in [format!("/shop/photos/{shown}"), format!("/shop/photos/{shown}/thumbnail")] {
        assert_eq!(get(&server, &p).refusal(), (404, "not_found".to_string()), "{p}");
    }
    server.listing(&ops, &id, Some(2500));
    assert_eq!(get(&server, &format!("/shop/photos/{shown}")).status, 200);

    // A new version without the photo: public while the approved version shows it, not after.
    assert_eq!(server.push(&artisan, vec![command("draft", &other, "revise")]), vec![None]);
    server.set_photos(&artisan, &other, &[]);
    assert_eq!(get(&server, &format!("/shop/photos/{bare}")).status, 200, "the version on sale still shows it");
    assert_eq!(server.push(&artisan, vec![command("draft", &other, "submit")]), vec![None]);
    assert_eq!(server.push(&mentor, vec![command("draft", &other, "approve")]), vec![None]);
    assert_eq!(get(&server, &format!("/shop/photos/{bare}")).refusal(), (404, "not_found".to_string()));
    assert_eq!(
        feed(&server)["products"].as_array().unwrap().iter().find(|p| p["id"] == other.as_str()).unwrap()["image_links"],
        json!([])
    );
}

/// Every public answer the depot gives about what it holds: each page (every category, each
/// product id it knows, on sale or not), both feeds, and every photo and thumbnail route for
/// every photo it holds: (what was asked, the status, the headers and body as text).
fn every_public_answer(server: &Server, ids: &[String], photos: &[String]) -> Vec<(String, u16, String)> {
    let mut paths: Vec<String> = vec!["/shop".into(), "/shop/feed.json".into(), "/shop/feed.csv".into()];
    paths.extend(fundi_sync::drafts::Category::ALL.iter().map(|c| format!("/shop?category={}", c.code())));
    paths.extend(ids.iter().map(|id| format!("/shop/products/{id}")));
    for h in photos {
        paths.push(format!("/shop/photos/{h}"));
        paths.push(format!("/shop/photos/{h}/thumbnail"));
    }
    paths
        .into_iter()
        .map(|p| {
            let a = get(server, &p);
            let headers: String =
                a.headers.iter().map(|(k, v)| format!("{k}: {}\n", String::from_utf8_lossy(v.as_bytes()))).collect();
            (p, a.status, format!("{headers}\n{}", text(&a)))
        })
        .collect()
}

#[test]
fn nothing_private_reaches_a_public_answer() {
    let server = Server::start();
    dollars_rated(&server);
    let mentor = server.device("mentor", "LEAK-mentor-name", None);
    let artisan = server.device("artisan", "LEAK-account-name", Some(&mentor.account));
    let staff = server.device("staff", "LEAK-staff-name", None);
    let ops = server.device("operations", "LEAK-ops-name", None);
    server.device("artisan", "LEAK-other-artisan", None);

    // Her profile, not published: her display name and story are private until she agrees.
    let profile = vec![
        field_write(&artisan.account, "profile", "display_name", json!("LEAK-display-name")),
        field_write(&artisan.account, "profile", "story", json!("LEAK-story\nof her workshop")),
        field_write(&artisan.account, "profile", "phone", json!("+254 711 000 222")),
        field_write(&artisan.account, "profile", "location", json!("LEAK-location")),
        field_write(&artisan.account, "profile", "publish", json!(false)),
    ];
    assert_eq!(server.push(&artisan, profile), vec![None; 5]);
    // Her mentor publishes hers: a mentor's profile is still never a product's.
    let mentor_profile = vec![
        field_write(&mentor.account, "profile", "display_name", json!("LEAK-mentor-display")),
        field_write(&mentor.account, "profile", "story", json!("LEAK-mentor-story")),
        field_write(&mentor.account, "profile", "publish", json!(true)),
    ];
    assert_eq!(server.push(&mentor, mentor_profile), vec![None; 3]);

    // On sale: her price (what she earns a piece) is private; the shop's price is public.
    let photo = common::photo(10, 2500);
    let on_sale = server.product_on_sale(&artisan, &mentor, &ops, "Kikapu", 1_234_567, 2, &[&photo], true, 2500);
    assert_eq!(server.push(&mentor, vec![field_write(&on_sale, "draft", "review_note", json!("LEAK-review-note"))]), vec![None]);
    assert_eq!(server.push(&staff, vec![stock_entry(&on_sale, 37)]), vec![None]);
    // Unpublished, awaiting its price, and never approved: their titles, ids and photos.
    let gone_photo = common::photo(11, 2500);
    let unpublished =
        server.product_on_sale(&artisan, &mentor, &ops, "LEAK-unpublished-title", 150_000, 1, &[&gone_photo], true, 1999);
    server.listing(&ops, &unpublished, None);
    let awaiting = server.approved_product(&artisan, &mentor, "LEAK-awaiting-title", 150_000, 1);
    let draft_photo = common::photo(12, 2500);
    let draft = submitted_draft(&server, &artisan, "LEAK-draft-title", &[&draft_photo]);
    assert_eq!(server.push(&mentor, vec![field_write(&draft, "draft", "review_note", json!("LEAK-changes-note"))]), vec![None]);
    assert_eq!(server.push(&mentor, vec![command("draft", &draft, "request_changes")]), vec![None]);

    // Orders and money: a delivered order (her earning), an order failed at the check with a
    // note, and a payout to her M-Pesa number.
    server.delivered_order(&ops, &artisan, &staff, "LEAK-order-ref", 4_242_421);
    let order = {
        let o = json!({"source": "shop", "external_ref": "LEAK-order-ref-2", "product": "LEAK-order-product", "quantity": 1,
            "price_minor": 77_777, "artisan_id": artisan.account});
        let (s, v) = server.req(Some(&ops), "/v1/orders", Some(json!({"orders": [o]})));
        assert_eq!(s, 200, "{v}");
        v["created"][0].as_str().unwrap().to_string()
    };
    let hers = ["accept", "start_production", "mark_ready"].map(|c| command("order", &order, c)).to_vec();
    assert_eq!(server.push(&artisan, hers), vec![None; 3]);
    for c in [json!({"command": "receive"}), json!({"command": "qc_fail", "args": {"reason": "LEAK-qc-note"}})] {
        let (s, v) = server.req(Some(&staff), &format!("/v1/orders/{order}/commands"), Some(c));
        assert_eq!(s, 200, "{v}");
    }
    let today = fundi_sync::dates::Day::of_ms(fundi_sync::hlc::wall_clock_ms()).to_string();
    let batch = json!({"period_from": today, "period_to": today,
        "payouts": [{"id": common::uuid_like(), "artisan_id": artisan.account, "msisdn": "254799000111", "amount_minor": 10_000}]});
    let (s, v) = server.req(Some(&ops), "/v1/payouts/batches", Some(batch));
    assert_eq!(s, 200, "{v}");

    let markers: Vec<String> = [
        "LEAK-mentor-name",
        "LEAK-account-name",
        "LEAK-staff-name",
        "LEAK-ops-name",
        "LEAK-other-artisan",
        "LEAK-display-name",
        "LEAK-story",
        "711 000 222",
        "LEAK-location",
        "LEAK-mentor-display",
        "LEAK-mentor-story",
        "LEAK-review-note",
        "LEAK-unpublished-title",
        "LEAK-awaiting-title",
        "LEAK-draft-title",
        "LEAK-changes-note",
        "LEAK-order-ref",
        "LEAK-order-product",
        "LEAK-qc-note",
        // Her price a piece, her earnings and the payout (in cents and shillings), the M-Pesa number.
        "1234567",
        "12,345.67",
        "4242421",
        "42,424.21",
        "77777",
        "254799000111",
        "799000111",
    ]
    .iter()
    .map(|m| m.to_string())
    .chain([
        // Ids that are nobody's business: the accounts, the devices and their tokens, what is
        // not on sale (its id and its photos').
        artisan.account.clone(),
        mentor.account.clone(),
        staff.account.clone(),
        ops.account.clone(),
        artisan.device.clone(),
        artisan.token.clone(),
        ops.token.clone(),
        unpublished.clone(),
        awaiting.clone(),
        draft.clone(),
        order.clone(),
        common::sha(&gone_photo),
        common::sha(&draft_photo),
        common::sha(&gone_photo[..300]),
    ])
    .collect();
    let ids = [on_sale.clone(), unpublished.clone(), awaiting.clone(), draft.clone(), order.clone()];
    let photos = [common::sha(&photo), common::sha(&gone_photo), common::sha(&draft_photo)];
    let answers = every_public_answer(&server, &ids, &photos);
    let read: Vec<(&str, u16)> = answers.iter().map(|(p, s, _)| (p.as_str(), *s)).collect();
    // The list, 9 categories, 2 feeds, the product on sale, its photo and thumbnail.
    assert_eq!(read.iter().filter(|(_, s)| *s == 200).count(), 15, "{read:?}");
    for (path, status, answer) in &answers {
        for m in &markers {
            assert!(!answer.contains(m.as_str()), "{path} ({status}) shows the private {m:?}:\n{answer}");
        }
    }
    // Only the product on sale is public, with its shop price.
    let public = answers.iter().find(|(p, ..)| p == "/shop/feed.json").unwrap();
    assert!(public.2.contains("Kikapu") && public.2.contains("\"price\":\"25.00\""), "{}", public.2);

    // She agrees: her display name and story appear (and still nothing else).
    assert_eq!(server.push(&artisan, vec![field_write(&artisan.account, "profile", "publish", json!(true))]), vec![None]);
    let page = text(&get(&server, &format!("/shop/products/{on_sale}")));
    assert!(page.contains("Made by LEAK-display-name") && page.contains("LEAK-story\nof her workshop"), "{page}");
    assert_eq!(feed(&server)["products"][0]["artisan_name"], "LEAK-display-name");
    let now_public = ["LEAK-display-name", "LEAK-story"];
    for (path, status, answer) in every_public_answer(&server, &ids, &photos) {
        for m in markers.iter().filter(|m| !now_public.contains(&m.as_str())) {
            assert!(!answer.contains(m.as_str()), "{path} ({status}) shows the private {m:?}:\n{answer}");
        }
    }
}
