//! Money ledgers on real processes (issue 11 item 1 and the phone's part of item 4, ADR 0020):
//! an order delivered earns its artisan the agreed price, once, whichever path delivers it
//! (staff's phone or the operations API, a replayed push); the entry reaches her phone and no
//! one else's (not her mentor's, not another artisan's, not staff's); a refund after delivery
//! is a reversing entry with its reason; phones cannot write money; a mentor earns the
//! commission rate in force on the day of delivery, on her mentees' sales only.

mod common;
use common::{command, Server};
use fundi_sync::dates::Day;
use fundi_sync::money_ledger::{EntryKind, EntryStatus};
use fundi_sync::OrderCommand;
use serde_json::json;

#[test]
fn a_delivered_order_earns_its_artisan_once_and_only_she_sees_it() {
    let server = Server::start();
    let ops = server.device("operations", "ops", None);
    let (mentor, mentor_id) = server.phone("mentor", "neema", None);
    let (akinyi, akinyi_id) = server.phone("artisan", "akinyi", Some(&mentor_id));
    let (baraka, baraka_id) = server.phone("artisan", "baraka", Some(&mentor_id));
    let (staff, _) = server.phone("staff", "depot", None);

    let first = server.ready_order_on_phone(&ops, &akinyi, &akinyi_id, "E-1", 250_000);
    let second = server.ready_order_on_phone(&ops, &akinyi, &akinyi_id, "E-2", 120_000);
    server.ready_order_on_phone(&ops, &baraka, &baraka_id, "E-3", 90_000);
    assert_eq!(akinyi.earnings().unwrap().entries, vec![], "nothing earned before delivery");

    // Staff take the first through the depot on their phone, and the second by the depot's API
    // (as the console will). Either way the delivery earns her.
    let desk = server.device("staff", "desk", None);
    staff.sync_now(None).unwrap();
    for c in [OrderCommand::Receive, OrderCommand::QcPass, OrderCommand::Ship, OrderCommand::Deliver] {
        staff.order_command(&first, c, None).unwrap();
    }
    assert_eq!(staff.sync_now(None).unwrap().refused, 0);
    for c in ["receive", "qc_pass", "ship", "deliver"] {
        let (status, answer) = server.req(Some(&desk), &format!("/v1/orders/{second}/commands"), Some(json!({"command": c})));
        assert_eq!(status, 200, "{c}: {answer}");
    }

    akinyi.sync_now(None).unwrap();
    let e = akinyi.earnings().unwrap();
    assert_eq!((e.balance_minor, e.earned_minor), (370_000, 370_000), "{e:?}");
    let mut earned: Vec<_> = e.entries.iter().map(|i| (i.kind, i.amount_minor, i.order_id.clone().unwrap())).collect();
    earned.sort_by_key(|(_, amount, _)| *amount);
    assert_eq!(earned, [(Some(EntryKind::Earning), 120_000, second.clone()), (Some(EntryKind::Earning), 250_000, first.clone())]);
    assert_eq!(
        e.entries.iter().find(|i| i.order_id.as_deref() == Some(first.as_str())).unwrap().product.as_deref(),
        Some("Kiondo E-1")
    );

    // Nobody else's phone receives her money: not her mentor's, not Baraka's, not staff's.
    for (who, phone) in [("mentor", &mentor), ("baraka", &baraka), ("staff", &staff)] {
        phone.sync_now(None).unwrap();
        assert_eq!(phone.earnings().unwrap().entries, vec![], "{who} sees no one's earnings");
    }
    // Her mentor sees her mentees' sales (their delivered orders), not their money.
    let m = mentor.earnings().unwrap();
    assert_eq!((m.mentee_sales_minor, m.mentee_sales_month_minor), (370_000, 370_000));
    assert_eq!(staff.earnings().unwrap().mentee_sales_minor, 0, "only a mentor has mentees");
    // Nor does any feed, pulled raw by another device of another account.
    let other = server.device("artisan", "chebet", Some(&mentor_id));
    assert!(server.pull_all(&other).iter().all(|c| c["kind"] != "money"));
    let mentor_dev = server.another_device(&ops, &mentor_id);
    assert!(server.pull_all(&mentor_dev).iter().all(|c| c["kind"] != "money"), "a mentor's feed has no money of her mentees");

    // A refund after delivery: a reversal with its reason; the earning stays, the balance drops.
    server.cli(&["refund", &second, "--reason", "Returned: broken in transit"]);
    let again = server.cli_fails(&["refund", &second, "--reason", "twice"]);
    assert!(again.contains("refunded already"), "{again}");
    let never = server.cli_fails(&["refund", "01900000-0000-7000-8000-000000000099", "--reason", "no such"]);
    assert!(never.contains("not delivered"), "{never}");
    akinyi.sync_now(None).unwrap();
    let e = akinyi.earnings().unwrap();
    assert_eq!((e.balance_minor, e.earned_minor), (250_000, 250_000), "{e:?}");
    let reversal = e.entries.iter().find(|i| i.kind == Some(EntryKind::Reversal)).unwrap();
    assert_eq!((reversal.amount_minor, reversal.note.as_deref()), (-120_000, Some("Returned: broken in transit")));
    let ledger = server.cli(&["ledger", &akinyi_id]);
    assert!(ledger.contains("balance: KSh 2,500"), "{ledger}");

    // Operations pay what is owed to the number in her profile: on her phone the earning is in
    // a payout on its way, the refunded one is marked refunded, the balance is nothing.
    akinyi.set_profile_text(&akinyi_id, fundi_sync::fields::ProfileField::Phone, "0712 345 678").unwrap();
    akinyi.sync_now(None).unwrap();
    let today = Day::of_ms(fundi_sync::hlc::wall_clock_ms()).to_string();
    let (status, batch) =
        server.req(Some(&ops), "/v1/payouts/batches", Some(json!({"period_from": "2026-01-01", "period_to": today})));
    assert_eq!(status, 200, "{batch}");
    let payout = server.req(Some(&ops), &format!("/v1/payouts/batches/{}", batch["id"].as_str().unwrap()), None).1["payouts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["artisan_id"] == akinyi_id.as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    akinyi.sync_now(None).unwrap();
    let e = akinyi.earnings().unwrap();
    assert_eq!(e.balance_minor, 0, "{e:?}");
    let status_of = |id: &str| e.entries.iter().find(|i| i.id == id).and_then(|i| i.status.clone());
    let on_its_way = Some(EntryStatus::InPayout { payout_id: payout.clone() });
    assert_eq!(status_of(&format!("earning:{first}")), on_its_way);
    assert_eq!(status_of(&format!("payout:{payout}")), on_its_way);
    assert_eq!(status_of(&format!("earning:{second}")), Some(EntryStatus::Reversed));
    assert_eq!(batch["skipped"], json!([]), "Baraka's order was not delivered: he is owed nothing");
}

#[test]
fn a_phone_cannot_write_money() {
    let server = Server::start();
    let artisan = server.device("artisan", "akinyi", None);
    let write = json!({"kind": "money", "id": "earning:forged", "fields": {"amount_minor": {"value": 100_000_000, "hlc": common::stamp_in(0)}}});
    let results = server.push(&artisan, vec![write, command("money", "earning:forged", "deliver")]);
    assert!(results.iter().all(Option::is_some), "every money mutation refused: {results:?}");
    assert!(server.records().iter().all(|r| r.0 != "money"), "nothing written");
}

#[test]
fn a_mentor_earns_the_rate_in_force_on_the_day_of_delivery() {
    let server = Server::start();
    let ops = server.device("operations", "ops", None);
    let (mentor, mentor_id) = server.phone("mentor", "neema", None);
    let (other_mentor, _) = server.phone("mentor", "wanjiru", None);
    let (akinyi, akinyi_id) = server.phone("artisan", "akinyi", Some(&mentor_id));
    let (chebet, chebet_id) = server.phone("artisan", "chebet", None);
    let desk = server.device("staff", "desk", None);
    let today = Day::of_ms(fundi_sync::hlc::wall_clock_ms());
    let day = |offset: i64| Day(today.0 + offset).to_string();
    // 5% from last week; 7.5% from next week (not yet in force); history is not rewritten.
    server.cli(&["commission-rate", "--from", &day(-7), "--percent", "5"]);
    let rates = server.cli(&["commission-rate", "--from", &day(7), "--percent", "7.5"]);
    assert!(rates.contains(&format!("from {}: 5.00%", day(-7))) && rates.contains("7.50%"), "{rates}");
    let again = server.cli_fails(&["commission-rate", "--from", &day(-7), "--percent", "9"]);
    assert!(again.contains("set already"), "{again}");
    assert!(server.cli_fails(&["commission-rate", "--from", &day(1), "--percent", "60"]).contains("at most 50%"));
    // Each rate set is in the audit log, once; a refused one is not.
    let audited: Vec<String> = {
        let db = server.db();
        let mut q = db.prepare("SELECT detail FROM audit_log WHERE action = 'commission_rate.set' ORDER BY id").unwrap();
        q.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    };
    assert_eq!(audited, [format!("from {}: 5.00%", day(-7)), format!("from {}: 7.50%", day(7))]);

    let deliver = |id: &str| {
        for c in ["receive", "qc_pass", "ship", "deliver"] {
            let (status, answer) = server.req(Some(&desk), &format!("/v1/orders/{id}/commands"), Some(json!({"command": c})));
            assert_eq!(status, 200, "{c}: {answer}");
        }
    };
    let mentees_order = server.ready_order_on_phone(&ops, &akinyi, &akinyi_id, "C-1", 333_333);
    let no_mentor_order = server.ready_order_on_phone(&ops, &chebet, &chebet_id, "C-2", 100_000);
    deliver(&mentees_order);
    deliver(&no_mentor_order);

    mentor.sync_now(None).unwrap();
    let e = mentor.earnings().unwrap();
    assert_eq!(e.entries.len(), 1, "her mentee's sale only: {e:?}");
    let c = &e.entries[0];
    assert_eq!(
        (c.kind, c.amount_minor, c.order_id.as_deref()),
        (Some(EntryKind::Commission), 16_666, Some(mentees_order.as_str())),
        "5% of 3,333.33, down to the cent"
    );
    assert_eq!(e.balance_minor, 16_666);
    akinyi.sync_now(None).unwrap();
    assert_eq!(akinyi.earnings().unwrap().balance_minor, 333_333, "the commission is not taken from her earning");
    other_mentor.sync_now(None).unwrap();
    assert_eq!(other_mentor.earnings().unwrap().entries, vec![], "another mentor sees no one's commission");

    // Refunded: her earning and the mentor's commission on it are both reversed.
    server.cli(&["refund", &mentees_order, "--reason", "Returned"]);
    mentor.sync_now(None).unwrap();
    assert_eq!(mentor.earnings().unwrap().balance_minor, 0);
}
