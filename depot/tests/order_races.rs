//! Concurrent order commands through a real depot: for many orders brought to random states,
//! two actors (artisan, staff, operations) each queue a command their phone allows on its own
//! view, offline, then sync in random order. The depot must store only legal states, and every
//! command it refuses must show on the phone that sent it (a wedged outbox item with a reason).

mod common;
use common::Server;
use fundi_sync::workflow::{order_step, OrderCommand, OrderStatus};
use fundi_sync::{Relation, Role};

fn c_code(c: OrderCommand) -> &'static str {
    c.code()
}

use fundi_sync::testing::SeededRng as Rng;

/// The happy path, and who takes each step (0 artisan, 1 staff).
const PATH: [(OrderCommand, usize); 7] = [
    (OrderCommand::Accept, 0),
    (OrderCommand::StartProduction, 0),
    (OrderCommand::MarkReady, 0),
    (OrderCommand::Receive, 1),
    (OrderCommand::QcPass, 1),
    (OrderCommand::Ship, 1),
    (OrderCommand::Deliver, 1),
];

#[test]
fn concurrent_command_pairs_store_only_legal_states_and_refusals_show_on_the_sender() {
    let server = Server::start();
    let (artisan, artisan_id) = server.phone("artisan", "a", None);
    let (staff, _) = server.phone("staff", "staff", None);
    let (ops, _) = server.phone("operations", "ops", None);
    let n = 40;
    let csv: String = (0..n).map(|i| format!("shop,R-{i},Item,1,1000,{artisan_id}\n")).collect();
    server.import_csv(&format!("source,external_ref,product,quantity,price_minor,artisan_id\n{csv}"));
    let phones = [&artisan, &staff, &ops];
    let roles = [Role::Artisan, Role::Staff, Role::Operations];
    let sync_all = || {
        for p in phones {
            p.sync_now(None).unwrap();
        }
    };
    sync_all();
    let mut rng = Rng(7);
    let ids: Vec<String> = artisan.list_orders().unwrap().into_iter().map(|o| o.id).collect();
    let depth: Vec<usize> = ids.iter().map(|_| rng.below(PATH.len() as u64) as usize).collect();
    // Bring each order to its random depth along the path, syncing between steps.
    for (step, &(cmd, who)) in PATH.iter().enumerate() {
        for (i, id) in ids.iter().enumerate() {
            if depth[i] > step {
                phones[who].order_command(id, cmd, None).unwrap();
            }
        }
        phones[who].sync_now(None).unwrap();
        sync_all();
    }
    // The race: two different actors, each with a command its own view allows.
    let mut sent: Vec<(usize, usize, OrderCommand)> = vec![];
    for (i, id) in ids.iter().enumerate() {
        let first = rng.below(3) as usize;
        let second = (first + 1 + rng.below(2) as usize) % 3;
        for who in [first, second] {
            let view = phones[who].get_order(id).unwrap();
            let rel = if roles[who] == Role::Artisan { Relation::Owner } else { Relation::Other };
            let allowed: Vec<OrderCommand> = OrderCommand::ALL
                .iter()
                .copied()
                .filter(|c| *c != OrderCommand::Assign && order_step(view.status, *c, roles[who], rel).is_ok())
                .collect();
            if allowed.is_empty() {
                continue;
            }
            let c = allowed[rng.below(allowed.len() as u64) as usize];
            phones[who].order_command(id, c, Some("race".into())).unwrap();
            sent.push((i, who, c));
        }
    }
    assert!(sent.len() > n, "the generator must produce pairs");
    let mut order = [0usize, 1, 2];
    for k in (1..3).rev() {
        order.swap(k, rng.below(k as u64 + 1) as usize);
    }
    for who in order {
        phones[who].sync_now(None).unwrap();
    }
    sync_all();
    // Every stored state is reachable; refused commands are on their sender's outbox.
    let reachable = |s: OrderStatus| s == OrderStatus::New || fundi_sync::workflow::ORDER_TRANSITIONS.iter().any(|t| t.to == s);
    let mut refused = 0;
    for (i, id) in ids.iter().enumerate() {
        let server_state = staff.get_order(id).unwrap().server_status;
        assert!(reachable(server_state));
        for p in phones {
            assert_eq!(p.get_order(id).unwrap().server_status, server_state, "all phones converge");
        }
        let mine: Vec<_> = sent.iter().filter(|(j, _, _)| *j == i).collect();
        for (_, who, c) in &mine {
            let wedged = phones[*who]
                .outbox_items()
                .unwrap()
                .into_iter()
                .filter(|it| it.record_id == *id && it.summary == c.code())
                .any(|it| matches!(it.state, fundi_core::outbox::ItemState::Wedged { .. }));
            if wedged {
                refused += 1;
                let shown = phones[*who].list_conflicts().unwrap();
                assert!(
                    shown.iter().any(|x| x.record_id == *id
                        && x.value.as_deref() == Some(c_code(*c))
                        && x.reason.as_deref().is_some_and(|r| r.starts_with("illegal_transition"))),
                    "the refusal shows as a conflict on its sender: {shown:?}"
                );
            }
        }
        // The depot's state is what the accepted commands give, from where the order stood.
        let accepted = mine.len()
            - mine
                .iter()
                .filter(|(_, who, c)| {
                    phones[*who].outbox_items().unwrap().iter().any(|it| it.record_id == *id && it.summary == c.code())
                })
                .count();
        assert!(accepted >= 1 || mine.is_empty(), "of two concurrent commands, the first to arrive applies");
    }
    assert!(refused > 0, "some pairs must conflict (e.g. ship vs cancel)");
    for p in phones {
        assert_eq!(p.sync_status().unwrap().pending, 0);
    }
    // Discarding a refused command settles it: the order shows the depot's state again.
    let c = artisan.list_conflicts().unwrap().into_iter().chain(staff.list_conflicts().unwrap()).next();
    if let Some(c) = c {
        for p in [&artisan, &staff] {
            if p.list_conflicts().unwrap().iter().any(|x| x.id == c.id && x.record_id == c.record_id) {
                p.resolve_conflict(&c.id, false).unwrap();
                let o = p.get_order(&c.record_id).unwrap();
                assert_eq!((o.status, o.pending_commands.len()), (o.server_status, 0));
                break;
            }
        }
    }
}
