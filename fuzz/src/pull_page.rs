//! The `pull_page_apply` harness, shared by the fuzz target and the normal suite (core's
//! `tests/fuzz_regressions.rs` includes this file and [`crate::fake_depot`] by path and replays
//! every kept input through it with the strict views on).
//!
//! Pull pages are applied to a real phone store (`fundi_core::Store`, in memory) through its
//! public API: the phone enrolls with a fake depot on loopback (HTTPS, the real enrollment
//! exchange, the depot's key pinned), pulls a first page of sound
//! records (its own draft, an order assigned to it, another artisan's draft, a stock entry),
//! makes local changes that stay pending, then syncs against the pages given (`apply_page`,
//! the merge with pending writes and commands, the clock lesson, the cursor). Then:
//! - nothing panics, and the store's views answer (a value or a typed error);
//! - with `strict_views`, after a sync that succeeded, every view reads: a record this build
//!   cannot show is held for a newer app, never a reason for a whole list to fail;
//! - the same pages again change nothing (a restarted feed sends records the phone holds).
//!
//! Input: one flags byte (bit 0: a pending title edit; bit 1: a pending accept of the order;
//! bit 2: a pending submit of the draft; bit 3: the depot answers pushes as applied), then up
//! to four `PullResponse` bodies separated by NUL bytes.

use crate::fake_depot::{FakeDepot, ME, OTHER, SERVER_TIME};
use fundi_core::drafts::DraftPatch;
use fundi_core::Store;
use fundi_sync::workflow::OrderCommand;
use serde_json::json;

pub const DRAFT: &str = "01900000-0000-7000-8000-000000000001";
pub const OTHERS_DRAFT: &str = "01900000-0000-7000-8000-000000000002";
pub const ORDER: &str = "01900000-0000-7000-8000-000000000050";
pub const STOCK: &str = "01900000-0000-7000-8000-000000000090";
const BASE_CURSOR: u64 = 10;

fn stamp(ms: u64) -> String {
    fundi_sync::hlc::Timestamp { wall_ms: ms, counter: 0, node: 7 }.to_string()
}

/// The first page: sound records of every kind.
fn base_page() -> Vec<u8> {
    let t = SERVER_TIME.wall_ms - 3_600_000;
    let w = |v: serde_json::Value| json!({"value": v, "hlc": stamp(t)});
    let doc = json!({"fields": {"title": w(json!("Kikapu cha ukili")), "description": w(json!("Woven by hand from palm leaves.")),
        "materials": w(json!(["ukili"])), "category": w(json!("baskets")), "price": w(json!(150_000)),
        "weekly_capacity": w(json!(5))}});
    json!({"protocol": 1, "cursor": BASE_CURSOR, "more": false, "server_time": SERVER_TIME, "changes": [
        {"kind": "draft", "id": DRAFT, "body": {"owner": ME, "status": "draft", "doc": doc}},
        {"kind": "draft", "id": OTHERS_DRAFT, "body": {"owner": OTHER, "status": "submitted", "doc": doc}},
        {"kind": "order", "id": ORDER, "body": {"status": "assigned", "artisan_id": ME, "product": "Kiondo", "quantity": 2,
            "price_minor": 150_000, "source": "shop", "external_ref": "S-1", "updated_hlc": stamp(t)}},
        {"kind": "stock", "id": STOCK, "body": {"owner": ME, "entry": {"id": STOCK, "product_id": DRAFT, "delta": 4,
            "reason": "received", "hlc": stamp(t)}}},
        {"kind": "profile", "id": ME, "body": {"owner": ME, "doc": {"fields": {"display_name": w(json!("Amina"))}}}},
    ]})
    .to_string()
    .into_bytes()
}

/// What the phone shows, as text (the outbox without its attempt counts).
fn snapshot(store: &Store) -> String {
    let outbox = store.outbox_items().map(|items| items.into_iter().map(|i| (i.counter, i.summary, i.state)).collect::<Vec<_>>());
    format!(
        "{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
        store.list_drafts(),
        store.list_orders(),
        store.stock_levels(),
        store.list_conflicts(),
        store.list_review_drafts(),
        store.profile(ME),
        outbox
    )
}

/// Run one input against `depot` (see the module doc). Panics on a broken property.
pub fn run(depot: &FakeDepot, data: &[u8], strict_views: bool) {
    let Some((&flags, rest)) = data.split_first() else { return };
    let pages: Vec<Vec<u8>> = rest.split(|b| *b == 0).take(4).map(<[u8]>::to_vec).collect();
    let store = Store::open_in_memory().expect("open");
    depot.set(vec![base_page()], 0, false);
    store.enroll_device(&depot.url, crate::fake_depot::CODE).expect("enroll with the fake depot");
    store.sync_now(None).expect("the first page is sound");
    if flags & 1 != 0 {
        store.update_draft(DRAFT, DraftPatch { title: Some("Kikapu kipya".into()), ..DraftPatch::default() }).expect("edit");
    }
    if flags & 2 != 0 {
        store.order_command(ORDER, OrderCommand::Accept, None).expect("accept");
    }
    if flags & 4 != 0 {
        store.submit_draft(DRAFT).expect("submit");
    }
    let apply_pushes = flags & 8 != 0;

    depot.set(pages.clone(), BASE_CURSOR, apply_pushes);
    let first = store.sync_now(None);
    let after = snapshot(&store);
    if first.is_ok() && strict_views {
        store.list_drafts().expect("drafts read after a sync");
        store.list_orders().expect("orders read after a sync");
        store.stock_levels().expect("stock reads after a sync");
        store.list_conflicts().expect("conflicts read after a sync");
        store.list_review_drafts().expect("review drafts read after a sync");
        store.profile(ME).expect("the profile reads after a sync");
    }
    let _ = store.sync_status().expect("the sync status always reads");
    if first.is_ok() {
        let cursor = depot.last_cursor();
        depot.set(pages, cursor, apply_pushes);
        let _ = store.sync_now(None);
        assert_eq!(snapshot(&store), after, "the same pages applied twice changed the store");
    }
}
