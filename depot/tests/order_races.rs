//! Concurrent order commands through a real depot. Phones: for many orders brought to random
//! states, two actors (artisan, staff, operations) each queue a command their phone allows on
//! its own view, offline, then sync in random order; the depot's state must be the serial
//! result of the commands in the order they arrived, and exactly the commands that made illegal
//! must show as refused on the phone that sent them. HTTP: three senders released together by a
//! barrier send commands on one order (pushes and the operations API), round after round; the
//! answers and the stored state must be those of some serial order of the three.

mod common;
use common::{numbered, Dev, Server};
use fundi_sync::workflow::{order_step, order_target, OrderCommand, OrderStatus};
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
                // Not assign (it needs an artisan), nor stock: only an order of a catalog product
                // goes into stock (ADR 0025), and these orders name none, so the depot refuses it
                // as invalid whatever the race.
                .filter(|c| ![OrderCommand::Assign, OrderCommand::Stock].contains(c))
                .filter(|c| order_step(view.status, *c, roles[who], rel).is_ok())
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
    let mut sync_order = [0usize, 1, 2];
    for k in (1..3).rev() {
        sync_order.swap(k, rng.below(k as u64 + 1) as usize);
    }
    for who in sync_order {
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
        // The depot took the two commands in the order their phones synced: its state is what
        // applying them one after the other from where the order stood gives, and exactly the
        // commands that this makes illegal are the ones refused.
        let mut state = PATH[..depth[i]].iter().fold(OrderStatus::Assigned, |s, (c, _)| order_target(s, *c).unwrap());
        let mut expected_refused = vec![];
        let mut by_arrival = mine.clone();
        by_arrival.sort_by_key(|(_, who, _)| sync_order.iter().position(|p| p == who).unwrap());
        for (_, who, c) in by_arrival {
            let rel = if roles[*who] == Role::Artisan { Relation::Owner } else { Relation::Other };
            match order_step(state, *c, roles[*who], rel) {
                Ok(to) => state = to,
                Err(r) => {
                    assert_eq!(r.code.code(), "illegal_transition", "the phone only sends what its role may");
                    expected_refused.push((*who, *c));
                }
            }
        }
        assert_eq!(server_state, state, "order {i}: the stored state is the serial result of the commands as they arrived");
        let wedged_here: Vec<(usize, OrderCommand)> = mine
            .iter()
            .filter(|(_, who, c)| {
                phones[*who].outbox_items().unwrap().iter().any(|it| {
                    it.record_id == *id
                        && it.summary == c.code()
                        && matches!(it.state, fundi_core::outbox::ItemState::Wedged { .. })
                })
            })
            .map(|(_, who, c)| (*who, *c))
            .collect();
        let (mut wedged_here, mut expected_refused) = (wedged_here, expected_refused);
        wedged_here.sort();
        expected_refused.sort();
        assert_eq!(wedged_here, expected_refused, "order {i}: exactly the commands made illegal by the first are refused");
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

/// One sender in an HTTP race: its device, its role and relation to the order, the command,
/// and whether it goes through the operations API (else a phone's push).
#[derive(Clone, Copy)]
struct Sender {
    dev: usize,
    role: Role,
    rel: Relation,
    api: bool,
    command: OrderCommand,
}

/// A request ready to go: (path, bearer token, JSON body).
type Ready = (String, String, serde_json::Value);

fn ready(devs: &[&Dev], order: &str, x: &Sender) -> Ready {
    let d = devs[x.dev];
    if x.api {
        return (format!("/v1/orders/{order}/commands"), d.token.clone(), serde_json::json!({"command": x.command.code()}));
    }
    // Counters are taken here, on the test's thread: each racing device sends one mutation.
    d.counter.set(d.counter.get() + 1);
    let m = numbered(common::command("order", order, x.command.code()), d.counter.get());
    ("/v1/sync/push".into(), d.token.clone(), serde_json::json!({"protocol": 1, "device_id": d.device, "mutations": [m]}))
}

/// Send and read the answer: `None` applied, `Some(code)` refused. The operations API answers a
/// refusal with the push's own code (an illegal transition: 409 `illegal_transition`).
fn send(client: &reqwest::blocking::Client, url: &str, (path, token, body): &Ready) -> Option<String> {
    let r = client
        .post(format!("{url}{path}"))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .unwrap();
    let status = r.status().as_u16();
    let v: serde_json::Value = serde_json::from_str(&r.text().unwrap()).unwrap();
    match (status, path.ends_with("/push")) {
        (200, true) => v["results"][0]["rejected"]["code"].as_str().map(String::from),
        (200, false) => None,
        (409, false) if v["error"] == "illegal_transition" => Some("illegal_transition".into()),
        _ => Some(format!("unexpected {status} {v}")),
    }
}

/// Whether applying the senders one after the other in some order, from `start`, gives exactly
/// these answers and ends in `stored`.
fn some_serial_order_explains(start: OrderStatus, senders: &[Sender], answers: &[Option<String>], stored: OrderStatus) -> bool {
    let perms: [[usize; 3]; 6] = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
    perms.iter().any(|p| {
        let mut state = start;
        p.iter().all(|&k| {
            let x = senders[k];
            match order_step(state, x.command, x.role, x.rel) {
                Ok(to) => {
                    state = to;
                    answers[k].is_none()
                }
                Err(r) => answers[k].as_deref() == Some(r.code.code()),
            }
        }) && state == stored
    })
}

#[test]
fn concurrent_http_commands_on_one_order_answer_as_one_serial_order() {
    let s = Server::start();
    let ops = s.device("operations", "ops", None);
    let staff = s.device("staff", "staff", None);
    let a = s.device("artisan", "a", None);
    // The artisan's other phones, and a second staff phone: each racing push has its own device.
    let (a2, a3, staff2) =
        (s.another_device(&ops, &a.account), s.another_device(&ops, &a.account), s.another_device(&ops, &staff.account));
    let devs: [&Dev; 6] = [&ops, &staff, &a, &a2, &a3, &staff2];
    let (o, st, a_, a2_, a3_, st2) = (0, 1, 2, 3, 4, 5);
    let by = |dev, role, api, command| Sender {
        dev,
        role,
        rel: if role == Role::Artisan { Relation::Owner } else { Relation::Other },
        api,
        command,
    };
    use OrderCommand::*;
    // (name, start, senders, whether the commands exclude one another: then the first applied
    // decides the state and both others are refused).
    let scenarios: [(&str, OrderStatus, [Sender; 3], bool); 3] = [
        (
            "cancel (API) vs accept vs a second accept",
            OrderStatus::Assigned,
            [by(o, Role::Operations, true, Cancel), by(a_, Role::Artisan, false, Accept), by(a2_, Role::Artisan, false, Accept)],
            false,
        ),
        (
            "accept vs accept vs decline, three phones of one artisan",
            OrderStatus::Assigned,
            [by(a_, Role::Artisan, false, Accept), by(a2_, Role::Artisan, false, Accept), by(a3_, Role::Artisan, false, Decline)],
            true,
        ),
        (
            "ship (API) vs ship (push) vs cancel (API)",
            OrderStatus::QcPassed,
            [by(st, Role::Staff, true, Ship), by(st2, Role::Staff, false, Ship), by(o, Role::Operations, true, Cancel)],
            true,
        ),
    ];
    // One client per racing slot for the whole test: connections stay open between rounds, so
    // the barrier releases requests, not TCP handshakes.
    let clients: Vec<reqwest::blocking::Client> = (0..3).map(|_| common::raw_client()).collect();
    let rounds = 12;
    let mut winners = std::collections::BTreeMap::<String, usize>::new();
    for round in 0..rounds * scenarios.len() {
        let (name, start, senders, exclusive) = &scenarios[round % scenarios.len()];
        let (status, v) = s.req(
            Some(&ops),
            "/v1/orders",
            Some(serde_json::json!({"orders": [{"source": "shop", "external_ref": format!("race-{round}"), "product": "P", "quantity": 1, "price_minor": 100, "artisan_id": a.account}]})),
        );
        assert_eq!(status, 200, "{v}");
        let order = v["created"][0].as_str().unwrap().to_string();
        if *start == OrderStatus::QcPassed {
            let steps =
                ["accept", "start_production", "mark_ready"].iter().map(|c| common::command("order", &order, c)).collect();
            assert!(s.push(&a, steps).iter().all(Option::is_none));
            for c in ["receive", "qc_pass"] {
                let (status, v) =
                    s.req(Some(&staff), &format!("/v1/orders/{order}/commands"), Some(serde_json::json!({"command": c})));
                assert_eq!(status, 200, "{v}");
            }
        }
        let reqs: Vec<Ready> = senders.iter().map(|x| ready(&devs, &order, x)).collect();
        let barrier = std::sync::Barrier::new(3);
        let answers: Vec<Option<String>> = std::thread::scope(|sc| {
            let handles: Vec<_> = reqs
                .iter()
                .zip(&clients)
                .map(|(r, client)| {
                    let (barrier, url) = (&barrier, &s.url);
                    sc.spawn(move || {
                        barrier.wait();
                        send(client, url, r)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let stored = s.records().into_iter().find(|r| r.0 == "order" && r.1 == order).unwrap();
        let body: serde_json::Value = serde_json::from_str(&stored.4).unwrap();
        let stored = OrderStatus::from_code(body["status"].as_str().unwrap()).unwrap();
        let what = format!("round {round} ({name}): answers {answers:?}, stored {stored:?}");
        assert!(answers.iter().flatten().all(|c| c == "illegal_transition"), "every refusal is the workflow's: {what}");
        assert!(some_serial_order_explains(*start, senders, &answers, stored), "no serial order gives this: {what}");
        let applied: Vec<usize> = (0..3).filter(|k| answers[*k].is_none()).collect();
        assert!(!applied.is_empty(), "the first to arrive always applies: {what}");
        if *exclusive {
            assert_eq!(applied.len(), 1, "exactly one applies, every other sender is refused: {what}");
            let first = senders[applied[0]];
            assert_eq!(stored, order_step(*start, first.command, first.role, first.rel).unwrap(), "{what}");
        }
        if senders[1].command == Accept && senders[2].command == Accept {
            assert!(answers[1].is_some() || answers[2].is_some(), "an order is accepted once: {what}");
        }
        let names: Vec<String> = applied.iter().map(|k| format!("{:?}", senders[*k].command)).collect();
        *winners.entry(format!("{name}: {} applied", names.join(" + "))).or_default() += 1;
    }
    // Which sender won how often (shown with --nocapture; the interleaving is the machine's).
    eprintln!("{winners:#?}");
}

/// The same refusal over both paths: a command the order's state does not allow answers
/// `illegal_transition` in a push and over the operations API (409), never a generic code.
#[test]
fn a_command_the_orders_state_refuses_has_one_code_whichever_way_it_comes() {
    let s = Server::start();
    let ops = s.device("operations", "ops", None);
    s.import_csv("source,external_ref,product,quantity,price_minor,artisan_id\nshop,R-1,P,1,100,\n");
    let order = s.pull_all(&ops).into_iter().find(|c| c["kind"] == "order").unwrap()["id"].as_str().unwrap().to_string();
    let (st, v) = s.req(Some(&ops), &format!("/v1/orders/{order}/commands"), Some(serde_json::json!({"command": "ship"})));
    assert_eq!((st, v["error"].as_str()), (409, Some("illegal_transition")), "{v}");
    assert_eq!(s.push(&ops, vec![common::command("order", &order, "ship")]), [Some("illegal_transition".to_string())]);
}
