//! Her published catalog on the phone (issue 15 item 4, ADR 0025), through the real apply path:
//! pulled products with their listing, the pieces the stock ledger counts, a new version written
//! and reviewed while the approved one stays (revise, its optimistic status, a discarded one),
//! replenish and stocked orders, records this build cannot show held, and the records an older
//! build held released by migration 016 exactly as this build decides them when it pulls.

use super::apply::{apply_page, Me};
use crate::drafts::DraftStatus;
use crate::error::{Error, NotAllowedReason};
use crate::products::{ListingState, MyProduct};
use crate::{account, outbox, products, Store};
use fundi_sync::hlc::Timestamp;
use fundi_sync::workflow::{OrderCommand, OrderStatus};
use fundi_sync::{Change, PullResponse, Role};
use serde_json::{json, Value};

const ME: &str = "a0000000-0000-7000-8000-000000000001";
const OTHER: &str = "a0000000-0000-7000-8000-000000000002";
const KIONDO: &str = "01900000-0000-7000-8000-000000000101";
const BOWL: &str = "01900000-0000-7000-8000-000000000102";

fn at(wall_ms: u64) -> Timestamp {
    Timestamp { wall_ms, counter: 0, node: 9 }
}

/// Her own draft as the depot sends it, in `status`.
fn draft(title: &str, status: &str, ms: u64) -> Value {
    let w = |v: Value| json!({"value": v, "hlc": at(ms)});
    json!({"owner": ME, "status": status, "doc": {"fields": {
        "title": w(json!(title)), "description": w(json!("Sisal")), "materials": w(json!(["sisal"])),
        "category": w(json!("baskets")), "price": w(json!(150_000)), "weekly_capacity": w(json!(3))}}})
}

/// A product as the depot writes it.
fn product(owner: &str, title: &str, version: u32, approved_ms: u64, listing: &str, shop: Option<(i64, &str)>) -> Value {
    let mut p = json!({"owner": owner, "version": version, "title": title, "description": "Sisal", "materials": ["sisal"],
        "category": "baskets", "price_minor": 150_000, "weekly_capacity": 3, "photos": [], "approved_ms": approved_ms,
        "listing": listing});
    if let Some((price, currency)) = shop {
        p["shop_price_minor"] = json!(price);
        p["shop_currency"] = json!(currency);
    }
    p
}

fn stock(id: &str, product_id: &str, delta: i64, ms: u64) -> Value {
    json!({"owner": ME, "entry": {"id": id, "product_id": product_id, "delta": delta, "reason": "received", "hlc": at(ms)}})
}

fn order(status: &str, source: &str, product_id: Option<&str>) -> Value {
    let mut o = json!({"status": status, "artisan_id": ME, "product": "Kiondo", "quantity": 2, "price_minor": 300_000,
        "source": source, "external_ref": "R-1", "updated_hlc": at(5)});
    if let Some(p) = product_id {
        o["product_id"] = json!(p);
    }
    o
}

fn apply(store: &Store, changes: Vec<(&str, &str, Value)>) {
    let changes = changes.into_iter().map(|(kind, id, body)| Change { kind: kind.into(), id: id.into(), body }).collect();
    let page = PullResponse {
        protocol: 1,
        changes,
        exits: vec![],
        cursor: 1,
        more: false,
        server_time: Default::default(),
        extra: Default::default(),
    };
    let me = Me { account_id: ME.into(), device_id: "d".into() };
    store.write(|tx| apply_page(tx, &me, &page, false)).unwrap();
}

fn artisan() -> Store {
    let store = Store::open_in_memory().unwrap();
    store.write(|tx| account::db::enroll_for_test(tx, ME, Role::Artisan)).unwrap();
    store
}

fn only(store: &Store) -> MyProduct {
    let mut all = store.my_products().unwrap();
    assert_eq!(all.len(), 1, "{all:?}");
    all.remove(0)
}

/// The depot answered every command this phone sent (what a push does once they are applied).
fn acknowledge_all(store: &Store) {
    store
        .write(|tx| {
            for item in outbox::items(tx, false)? {
                outbox::remove(tx, item.counter)?;
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn her_products_come_with_their_listing_the_pieces_at_the_depot_and_no_one_elses() {
    let store = artisan();
    assert!(store.my_products().unwrap().is_empty(), "the empty state");
    apply(
        &store,
        vec![
            ("draft", KIONDO, draft("Kiondo", "approved", 1000)),
            ("product", KIONDO, product(ME, "Kiondo", 1, 2000, "awaiting_price", None)),
            ("product", BOWL, product(ME, "Olive wood bowl", 1, 3000, "unpublished", Some((4000, "EUR")))),
            // A mentee's product on a mentor's phone is not hers (and never reaches hers).
            (
                "product",
                "01900000-0000-7000-8000-000000000103",
                product(OTHER, "Mkeka", 1, 4000, "published", Some((900, "USD"))),
            ),
            ("stock", "01900000-0000-7000-8000-000000000201", stock("s1", KIONDO, 5, 2100)),
            ("stock", "01900000-0000-7000-8000-000000000202", stock("s2", KIONDO, -2, 2200)),
        ],
    );
    let all = store.my_products().unwrap();
    assert_eq!(all.iter().map(|p| p.title.as_str()).collect::<Vec<_>>(), ["Olive wood bowl", "Kiondo"], "newest approval first");
    let kiondo = &all[1];
    assert_eq!(
        *kiondo,
        MyProduct {
            id: KIONDO.into(),
            title: "Kiondo".into(),
            version: 1,
            listing: ListingState::AwaitingPrice,
            on_sale: false,
            shop_price_minor: None,
            shop_currency: None,
            price_minor: 150_000,
            weekly_capacity: 3,
            made_to_order: true,
            pieces_at_depot: 3,
            approved_ms: 2000,
            next_version: None,
        }
    );
    // The bowl was taken off sale; its draft is not on this phone, so no new version either.
    assert_eq!(
        (all[0].listing, all[0].on_sale, all[0].next_version, all[0].pieces_at_depot),
        (ListingState::Unpublished, false, None, 0)
    );

    // Operations put the basket on sale at a shop price.
    apply(&store, vec![("product", KIONDO, product(ME, "Kiondo", 1, 2000, "published", Some((2500, "USD"))))]);
    let kiondo = store.my_products().unwrap().into_iter().find(|p| p.id == KIONDO).unwrap();
    assert!(kiondo.on_sale);
    assert_eq!(
        (kiondo.listing, kiondo.shop_price_minor, kiondo.shop_currency.as_deref()),
        (ListingState::Published, Some(2500), Some("USD"))
    );
    // The stock screen counts the same pieces.
    assert_eq!(store.stock_levels().unwrap().into_iter().find(|l| l.product_id == KIONDO).unwrap().quantity, 3);
}

#[test]
fn a_product_this_build_cannot_show_is_held_and_shown_once_it_can() {
    let store = artisan();
    let mut missing = product(ME, "Kiondo", 1, 2000, "published", None);
    missing.as_object_mut().unwrap().remove("price_minor");
    apply(&store, vec![("product", KIONDO, product(ME, "Kiondo", 1, 2000, "on_preorder", None)), ("product", BOWL, missing)]);
    assert!(store.my_products().unwrap().is_empty());
    assert_eq!(store.sync_status().unwrap().needs_newer_app, 2);
    apply(&store, vec![("product", KIONDO, product(ME, "Kiondo", 2, 2500, "published", Some((2500, "USD"))))]);
    assert_eq!(only(&store).version, 2);
    assert_eq!(store.sync_status().unwrap().needs_newer_app, 1);
}

/// She starts a new version of the approved basket: editable at once, the approved version still
/// the product (and on sale), "new version being written", then in review; the depot's stale
/// "approved" does not undo her revise while it is in flight; its approval makes version 2.
#[test]
fn a_new_version_is_written_and_reviewed_while_the_approved_one_stays_on_sale() {
    let store = artisan();
    apply(
        &store,
        vec![
            ("draft", KIONDO, draft("Kiondo", "approved", 1000)),
            ("product", KIONDO, product(ME, "Kiondo", 1, 2000, "published", Some((2500, "USD")))),
        ],
    );
    assert!(crate::drafts::can_revise(DraftStatus::Approved));
    assert!(!crate::drafts::can_revise(DraftStatus::Draft) && !crate::drafts::can_revise(DraftStatus::Submitted));
    let revised = store.revise_draft(KIONDO).unwrap();
    assert_eq!(revised.status, DraftStatus::Draft);
    assert_eq!(store.get_draft(KIONDO).unwrap().status, DraftStatus::Draft);
    let pending = store.read(|c| outbox::pending_commands(c, fundi_sync::Kind::Draft, KIONDO)).unwrap();
    assert_eq!(pending.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["revise"]);
    let p = only(&store);
    assert_eq!((p.next_version, p.on_sale, p.version), (Some(DraftStatus::Draft), true, 1));
    // Editable again, but still the product's draft: not deleted from the phone.
    assert_eq!(store.delete_draft(KIONDO).unwrap_err().not_allowed_reason(), Some(NotAllowedReason::InCatalog));
    // Not twice: the draft is no longer approved (the depot's table, as the depot would answer).
    assert_eq!(store.revise_draft(KIONDO).unwrap_err().not_allowed_reason(), Some(NotAllowedReason::WrongState));

    // A pull from before the depot saw the revise leaves her new version open.
    apply(&store, vec![("draft", KIONDO, draft("Kiondo", "approved", 1000))]);
    assert_eq!(store.get_draft(KIONDO).unwrap().status, DraftStatus::Draft);

    let edit = crate::drafts::DraftPatch { title: Some("Kiondo kubwa".into()), ..Default::default() };
    store.update_draft(KIONDO, edit).unwrap();
    store.submit_draft(KIONDO).unwrap();
    let p = only(&store);
    assert_eq!((p.next_version, p.title.as_str()), (Some(DraftStatus::Submitted), "Kiondo"), "shoppers still see version 1");

    // The depot applied both commands; her mentor approved; the depot made version 2, still on sale.
    acknowledge_all(&store);
    apply(
        &store,
        vec![
            ("draft", KIONDO, draft("Kiondo kubwa", "approved", 9000)),
            ("product", KIONDO, product(ME, "Kiondo kubwa", 2, 9500, "published", Some((2500, "USD")))),
        ],
    );
    let p = only(&store);
    assert_eq!((p.next_version, p.version, p.title.as_str(), p.on_sale), (None, 2, "Kiondo kubwa", true));
}

#[test]
fn revise_is_only_for_an_approved_draft_and_a_discarded_one_leaves_it_approved() {
    let store = artisan();
    let new = crate::drafts::NewDraft {
        title: "Kiondo".into(),
        description: "Sisal".into(),
        materials: vec!["sisal".into()],
        category: crate::drafts::Category::Baskets,
        price_minor: 150_000,
        weekly_capacity: 3,
    };
    let d = store.create_draft(new).unwrap();
    assert_eq!(store.revise_draft(&d.id).unwrap_err().not_allowed_reason(), Some(NotAllowedReason::WrongState));
    assert!(matches!(store.revise_draft("01900000-0000-7000-8000-0000000001ff"), Err(Error::NotFound { .. })));

    apply(&store, vec![("draft", KIONDO, draft("Kiondo", "approved", 1000))]);
    store.revise_draft(KIONDO).unwrap();
    // The depot refused it (say, a newer depot's rule); she discards it: approved again, as the
    // depot holds it, and she may start a new version again.
    let counter = store
        .read(|c| outbox::items(c, false))
        .unwrap()
        .into_iter()
        .find(|i| i.record_id == KIONDO && i.summary.contains("revise"))
        .expect("the revise is queued")
        .counter;
    store.write(|tx| outbox::wedge(tx, counter, "illegal_transition: cannot Revise").map(|_| ())).unwrap();
    store.discard_outbox_item(counter).unwrap();
    assert_eq!(store.get_draft(KIONDO).unwrap().status, DraftStatus::Approved);
    assert_eq!(store.revise_draft(KIONDO).unwrap().status, DraftStatus::Draft);
}

#[test]
fn a_replenish_order_says_so_and_a_stocked_one_is_shown_with_nothing_to_do() {
    let store = artisan();
    let (replenish, stocked, shop) =
        ("01900000-0000-7000-8000-000000000301", "01900000-0000-7000-8000-000000000302", "01900000-0000-7000-8000-000000000303");
    apply(
        &store,
        vec![
            ("order", replenish, order("assigned", "replenish", Some(KIONDO))),
            ("order", stocked, order("stocked", "replenish", Some(KIONDO))),
            ("order", shop, order("assigned", "shop", None)),
        ],
    );
    assert_eq!(store.sync_status().unwrap().needs_newer_app, 0, "stocked is a status this build knows");
    let r = store.get_order(replenish).unwrap();
    assert!(r.replenish);
    assert_eq!(r.product_id.as_deref(), Some(KIONDO));
    assert_eq!(r.commands, [OrderCommand::Accept, OrderCommand::Decline]);
    let s = store.get_order(stocked).unwrap();
    assert_eq!((s.status, s.replenish, s.commands.len()), (OrderStatus::Stocked, true, 0));
    let o = store.get_order(shop).unwrap();
    assert_eq!((o.replenish, o.product_id), (false, None));
    assert_eq!(store.list_orders().unwrap().len(), 3);
}

/// Products a build before the catalog held are shown after the upgrade (migration 016): exactly
/// those this build reads as it pulls them. (The stocked orders it releases: `storage/schema.rs`.)
#[test]
fn records_an_older_build_held_are_released_by_the_upgrade_as_this_build_decides() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("phone.db");
    let mut bodies: Vec<(&str, Value)> = vec![
        ("good", product(ME, "Kiondo", 1, 2000, "published", Some((2500, "USD")))),
        ("no_shop_price", product(ME, "Kiondo", 1, 2000, "awaiting_price", None)),
        ("null_shop_price", json!({"shop_price_minor": null, "shop_currency": null})),
        ("extra_field", json!({"future": {"x": 1}})),
        ("unknown_listing", json!({"listing": "on_preorder"})),
        ("no_owner", json!({"owner": null})),
        ("text_version", json!({"version": "1"})),
        ("negative_version", json!({"version": -1})),
        ("huge_capacity", json!({"weekly_capacity": 5_000_000_000u64})),
        ("negative_approved", json!({"approved_ms": -5})),
        ("fractional_price", json!({"price_minor": 1.5})),
        ("number_material", json!({"materials": ["sisal", 3]})),
        ("photos_not_list", json!({"photos": "ab"})),
        ("text_shop_price", json!({"shop_price_minor": "2500"})),
        ("number_currency", json!({"shop_currency": 840})),
    ];
    // The short ones are changes to a good product.
    for (_, body) in bodies.iter_mut().skip(2) {
        let mut p = product(ME, "Kiondo", 1, 2000, "published", Some((2500, "USD")));
        for (k, v) in body.as_object().unwrap() {
            if v.is_null() && k == "owner" {
                p.as_object_mut().unwrap().remove(k);
            } else {
                p[k] = v.clone();
            }
        }
        *body = p;
    }
    {
        // Kept as a build before the catalog kept them: as sent, held for a newer app.
        let conn = rusqlite::Connection::open(&path).unwrap();
        crate::storage::schema::migrate_to(&conn, 15).unwrap();
        for (id, body) in &bodies {
            crate::documents::db::put(&conn, "product", id, Some(ME), body, true).unwrap();
        }
    }
    let store = Store::open(&path).unwrap();
    store.write(|tx| account::db::enroll_for_test(tx, ME, Role::Artisan)).unwrap();
    let released: Vec<String> = store.my_products().unwrap().into_iter().map(|p| p.id).collect();
    let mut readable: Vec<String> =
        bodies.iter().filter(|(_, b)| products::readable(b).is_some()).map(|(id, _)| id.to_string()).collect();
    readable.sort();
    let mut released_sorted = released.clone();
    released_sorted.sort();
    assert_eq!(released_sorted, readable);
    assert_eq!(readable, ["extra_field", "good", "no_shop_price", "null_shop_price"]);
    assert_eq!(store.sync_status().unwrap().needs_newer_app, bodies.len() as u32 - 4);
}
