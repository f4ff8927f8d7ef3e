//! Clocks: phones whose clocks are a year ahead or behind, or jump backwards, still merge
//! correctly against a real depot: their stamps follow the depot's time (learnt at each sync),
//! nothing is refused as "from the future", and each phone's HLC never goes back.

mod common;
use common::Server;
use fundi_core::drafts::{Category, DraftPatch, NewDraft};
use fundi_core::Store;

const YEAR_MS: i64 = 365 * 24 * 3600 * 1000;

fn draft() -> NewDraft {
    NewDraft {
        title: "Kikapu".into(),
        description: String::new(),
        materials: vec![],
        category: Category::Baskets,
        price_minor: 100_000,
        weekly_capacity: 2,
    }
}

fn skewed_pair(skew_ms: i64) {
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    let (_, code) = server.account("artisan", "skewed", None);
    let artisan = Store::open(dir.path().join("a.db")).unwrap();
    artisan.set_clock_skew_for_testing(skew_ms).unwrap();
    artisan.enroll_device(&server.url, &code).unwrap();
    let (staff, _) = server.phone("staff", "staff", None);

    let d = artisan.create_draft(draft()).unwrap();
    let mut marks = vec![artisan.clock_high_water().unwrap()];
    artisan.sync_now(None).unwrap();
    staff.sync_now(None).unwrap();
    // Causal: staff changes the price after seeing the artisan's; staff's value stands.
    staff.set_reviewed_draft_field(&d.id, "price", serde_json::json!(120_000)).unwrap();
    staff.sync_now(None).unwrap();
    artisan.sync_now(None).unwrap();
    assert_eq!(artisan.get_draft(&d.id).unwrap().price.minor, 120_000);
    assert!(artisan.list_conflicts().unwrap().is_empty(), "a causal change is not a conflict");
    // Concurrent: the artisan edits the title offline first, staff a moment later without
    // seeing it. By true time staff's is later, so staff wins on every replica, whatever the
    // artisan's clock says; the artisan's value is kept as a conflict.
    artisan.update_draft(&d.id, DraftPatch { title: Some("Artisan's title".into()), ..Default::default() }).unwrap();
    marks.push(artisan.clock_high_water().unwrap());
    std::thread::sleep(std::time::Duration::from_millis(20));
    staff.set_reviewed_draft_field(&d.id, "title", serde_json::json!("Staff's title")).unwrap();
    staff.sync_now(None).unwrap();
    let r = artisan.sync_now(None).unwrap();
    assert_eq!(r.refused, 0, "nothing refused as too far in the future");
    assert_eq!(artisan.get_draft(&d.id).unwrap().title, "Staff's title");
    let conflicts = artisan.list_conflicts().unwrap();
    assert_eq!(conflicts.len(), 1);
    assert_eq!(conflicts[0].value.as_deref(), Some("\"Artisan's title\""));
    staff.sync_now(None).unwrap();
    assert_eq!(staff.reviewed_draft(&d.id).unwrap().doc.value("title").unwrap(), "Staff's title");
    marks.push(artisan.clock_high_water().unwrap());
    assert!(marks.windows(2).all(|w| w[0] < w[1]), "the HLC is monotonic: {marks:?}");
}

#[test]
fn a_phone_a_year_ahead_merges_by_true_time() {
    skewed_pair(YEAR_MS);
}

#[test]
fn a_phone_a_year_behind_merges_by_true_time() {
    skewed_pair(-YEAR_MS);
}

#[test]
fn a_clock_that_jumps_backwards_keeps_stamps_increasing() {
    let server = Server::start();
    let (artisan, _) = server.phone("artisan", "a", None);
    let (staff, _) = server.phone("staff", "staff", None);
    let d = artisan.create_draft(draft()).unwrap();
    artisan.sync_now(None).unwrap();
    let before = artisan.clock_high_water().unwrap();
    // The user sets the clock back a day, then a year, editing each time.
    artisan.set_clock_skew_for_testing(-24 * 3600 * 1000).unwrap();
    artisan.update_draft(&d.id, DraftPatch { price_minor: Some(110_000), ..Default::default() }).unwrap();
    let mid = artisan.clock_high_water().unwrap();
    artisan.set_clock_skew_for_testing(-YEAR_MS).unwrap();
    artisan.update_draft(&d.id, DraftPatch { price_minor: Some(130_000), ..Default::default() }).unwrap();
    let after = artisan.clock_high_water().unwrap();
    assert!(before < mid && mid < after, "{before} {mid} {after}");
    let r = artisan.sync_now(None).unwrap();
    assert_eq!((r.pushed, r.refused), (2, 0));
    staff.sync_now(None).unwrap();
    assert_eq!(staff.reviewed_draft(&d.id).unwrap().doc.value("price").unwrap(), 130_000, "the last edit wins");
    assert!(artisan.list_conflicts().unwrap().is_empty());
    // A clock that ran two years ahead while offline: the depot refuses those stamps once
    // (typed, nothing stored), the phone then re-stamps the never-accepted edit by the depot's
    // time and the next sync delivers it. Nothing is lost, nothing stays stuck.
    artisan.set_clock_skew_for_testing(2 * YEAR_MS).unwrap();
    artisan.update_draft(&d.id, DraftPatch { title: Some("Future".into()), ..Default::default() }).unwrap();
    artisan.set_clock_skew_for_testing(-YEAR_MS).unwrap();
    let r = artisan.sync_now(None).unwrap();
    assert_eq!(r.refused, 1);
    staff.sync_now(None).unwrap();
    assert_eq!(staff.reviewed_draft(&d.id).unwrap().doc.value("title").unwrap(), "Kikapu", "nothing of the refused stamp stored");
    let items = artisan.outbox_items().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].state, fundi_core::outbox::ItemState::Pending, "re-stamped and queued again");
    let r = artisan.sync_now(None).unwrap();
    assert_eq!((r.pushed, r.refused), (1, 0));
    staff.sync_now(None).unwrap();
    assert_eq!(staff.reviewed_draft(&d.id).unwrap().doc.value("title").unwrap(), "Future");
    let high = artisan.clock_high_water().unwrap();
    assert!(high.wall_ms < fundi_sync::hlc::wall_clock_ms() + 60_000, "the clock is back near true time");
}

#[test]
fn edits_made_before_enrollment_on_a_clock_a_year_ahead_are_delivered() {
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    let (_, code) = server.account("artisan", "early", None);
    let phone = Store::open(dir.path().join("early.db")).unwrap();
    phone.set_clock_skew_for_testing(YEAR_MS).unwrap();
    let d = phone.create_draft(draft()).unwrap();
    phone.update_draft(&d.id, DraftPatch { price_minor: Some(140_000), ..Default::default() }).unwrap();
    phone.submit_draft(&d.id).unwrap();
    phone.enroll_device(&server.url, &code).unwrap();
    let r = phone.sync_now(None).unwrap();
    assert_eq!((r.pushed, r.refused), (3, 0), "re-stamped at enrollment, accepted at the first sync");
    let (staff, _) = server.phone("staff", "staff", None);
    staff.sync_now(None).unwrap();
    let seen = staff.reviewed_draft(&d.id).unwrap();
    assert_eq!((seen.status.as_str(), seen.doc.value("price").unwrap().as_i64()), ("submitted", Some(140_000)));
    // Later edits on the corrected clock still order after the re-stamped ones.
    assert!(phone.get_draft(&d.id).unwrap().updated_at_ms < fundi_sync::hlc::wall_clock_ms() + 60_000);
}
