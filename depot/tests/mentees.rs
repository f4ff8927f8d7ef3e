//! A mentor's mentees on her phone, against a real depot process (issue 9, the mentor's
//! screen): who they are, whose phone is enrolled or whose code waits, when each phone last
//! reached the depot (and by which phone, to revoke a lost one), her drafts waiting for review,
//! her late orders; another mentor's mentees never; the list kept for when the depot is out of
//! reach. And an order's due date and history on the artisan's phone.

mod common;
use common::{basket, Server};
use fundi_core::mentees::MenteeView;
use fundi_sync::dates::Day;
use fundi_sync::hlc::wall_clock_ms;
use fundi_sync::{OrderCommand, OrderStatus};
use serde_json::json;

#[test]
fn a_mentor_sees_her_mentees_and_how_each_stands() {
    let server = Server::start();
    let (mentor, mentor_id) = server.phone("mentor", "neema", None);
    let (akinyi, akinyi_id) = server.phone("artisan", "akinyi", Some(&mentor_id));
    let (baraka_id, _code) = server.account("artisan", "baraka", Some(&mentor_id));
    let (other_mentor, _) = server.account("mentor", "wanjiru", None);
    server.account("artisan", "chebet", Some(&other_mentor));
    assert_eq!(mentor.mentees().unwrap(), vec![], "nothing before the first sync");

    // Akinyi's orders: one past its due day, one past it but already brought, one not due yet.
    let ops = server.device("operations", "ops", None);
    let day = |offset: i64| Day(Day::of_ms(wall_clock_ms()).0 + offset).to_string();
    let order = |reference: &str, due: String| json!({"source": "shop", "external_ref": reference, "product": "Kiondo", "quantity": 1, "price_minor": 250_000, "artisan_id": akinyi_id, "due_date": due});
    let orders = json!({"orders": [order("LATE", day(-1)), order("BROUGHT", day(-3)), order("SOON", day(2))]});
    let (status, answer) = server.req(Some(&ops), "/v1/orders", Some(orders));
    assert_eq!(status, 200, "{answer}");
    akinyi.sync_now(None).unwrap();
    let brought = akinyi.list_orders().unwrap().into_iter().find(|o| o.external_ref == "BROUGHT").unwrap();
    assert!(brought.late, "past its day and not brought: late on her phone too");
    for command in [OrderCommand::Accept, OrderCommand::StartProduction, OrderCommand::MarkReady] {
        akinyi.order_command(&brought.id, command, None).unwrap();
    }
    assert!(!akinyi.get_order(&brought.id).unwrap().late, "marked ready: no longer late, even before it syncs");

    let before = wall_clock_ms();
    let d = akinyi.create_draft(basket()).unwrap();
    akinyi.submit_draft(&d.id).unwrap();
    akinyi.sync_now(None).unwrap();
    // The order's history at the depot, as her phone shows it: created, then her three commands.
    let o = akinyi.get_order(&brought.id).unwrap();
    let steps: Vec<_> = o.history.iter().map(|e| (e.command, e.status)).collect();
    let created = (None, OrderStatus::Assigned);
    let accept = (Some(OrderCommand::Accept), OrderStatus::Accepted);
    let start = (Some(OrderCommand::StartProduction), OrderStatus::InProduction);
    assert_eq!(steps, [created, accept, start, (Some(OrderCommand::MarkReady), OrderStatus::ReadyForPickup)]);
    assert!(o.history.windows(2).all(|w| w[0].at_ms <= w[1].at_ms), "{:?}", o.history);
    assert_eq!((o.due_date, o.pending_commands.len()), (Some(day(-3)), 0));
    mentor.sync_now(None).unwrap();
    let list = mentor.mentees().unwrap();
    assert_eq!(list.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(), ["akinyi", "baraka"], "hers only, by name");
    let a = &list[0];
    assert_eq!((a.account_id.as_str(), a.phones, a.code_waiting, a.drafts_waiting), (akinyi_id.as_str(), 1, false, 1));
    assert_eq!(a.late_orders, 1, "LATE only: BROUGHT is ready at the depot, SOON is not due");
    let seen = a.last_seen_ms.expect("her phone reached the depot");
    assert!(seen >= before - 1_000 && seen <= wall_clock_ms(), "{seen}");
    let phone = &a.devices[..];
    assert_eq!(phone.len(), 1);
    assert_eq!((phone[0].device_id.clone(), phone[0].last_seen_ms), (akinyi.device_id().unwrap(), Some(seen)));
    assert_eq!(
        list[1],
        MenteeView {
            account_id: baraka_id,
            name: "baraka".into(),
            phones: 0,
            code_waiting: true,
            last_seen_ms: None,
            drafts_waiting: 0,
            late_orders: 0,
            devices: vec![],
        },
        "not enrolled yet: her code waits"
    );

    // Her phone is lost: the mentor revokes it from the list; the next sync shows it.
    mentor.revoke_device(&phone[0].device_id).unwrap();
    mentor.sync_now(None).unwrap();
    let a = &mentor.mentees().unwrap()[0];
    assert_eq!((a.phones, a.last_seen_ms), (0, Some(seen)), "no phone now; when it was last seen stays");
    assert_eq!(a.devices, vec![], "a revoked phone is not listed");

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
