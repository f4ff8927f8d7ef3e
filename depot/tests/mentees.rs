//! A mentor's mentees on her phone, against a real depot process (issue 9, the mentor's
//! screen): who they are, whose phone is enrolled or whose code waits, when each phone last
//! reached the depot, and her drafts waiting for review; another mentor's mentees never; the
//! list kept for when the depot is out of reach.

mod common;
use common::{basket, Server};
use fundi_core::mentees::MenteeView;
use fundi_sync::hlc::wall_clock_ms;

#[test]
fn a_mentor_sees_her_mentees_and_how_each_stands() {
    let server = Server::start();
    let (mentor, mentor_id) = server.phone("mentor", "neema", None);
    let (akinyi, akinyi_id) = server.phone("artisan", "akinyi", Some(&mentor_id));
    let (baraka_id, _code) = server.account("artisan", "baraka", Some(&mentor_id));
    let (other_mentor, _) = server.account("mentor", "wanjiru", None);
    server.account("artisan", "chebet", Some(&other_mentor));
    assert_eq!(mentor.mentees().unwrap(), vec![], "nothing before the first sync");

    let before = wall_clock_ms();
    let d = akinyi.create_draft(basket()).unwrap();
    akinyi.submit_draft(&d.id).unwrap();
    akinyi.sync_now(None).unwrap();
    mentor.sync_now(None).unwrap();
    let list = mentor.mentees().unwrap();
    assert_eq!(list.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(), ["akinyi", "baraka"], "hers only, by name");
    let a = &list[0];
    assert_eq!((a.account_id.as_str(), a.phones, a.code_waiting, a.drafts_waiting), (akinyi_id.as_str(), 1, false, 1));
    let seen = a.last_seen_ms.expect("her phone reached the depot");
    assert!(seen >= before - 1_000 && seen <= wall_clock_ms(), "{seen}");
    assert_eq!(
        list[1],
        MenteeView {
            account_id: baraka_id,
            name: "baraka".into(),
            phones: 0,
            code_waiting: true,
            last_seen_ms: None,
            drafts_waiting: 0
        },
        "not enrolled yet: her code waits"
    );

    // Her phone is lost: the mentor revokes it; the next sync shows it.
    mentor.revoke_device(&akinyi.device_id().unwrap()).unwrap();
    mentor.sync_now(None).unwrap();
    let a = &mentor.mentees().unwrap()[0];
    assert_eq!((a.phones, a.last_seen_ms), (0, Some(seen)), "no phone now; when it was last seen stays");

    // Out of reach of the depot, the list is the last one.
    let kept = mentor.mentees().unwrap();
    drop(server);
    assert!(mentor.sync_now(None).is_err());
    assert_eq!(mentor.mentees().unwrap(), kept);
}

#[test]
fn an_artisan_has_no_mentees_and_her_sync_does_not_ask() {
    let server = Server::start();
    let (mentor, mentor_id) = server.phone("mentor", "neema", None);
    let (akinyi, _) = server.phone("artisan", "akinyi", Some(&mentor_id));
    let r = akinyi.sync_now(None).unwrap();
    assert_eq!(akinyi.mentees().unwrap(), vec![]);
    // A mentor's sync makes one more round trip than an artisan's with as little to do.
    let m = mentor.sync_now(None).unwrap();
    assert_eq!(m.wire.round_trips, r.wire.round_trips + 1, "mentor {m:?}, artisan {r:?}");
}
