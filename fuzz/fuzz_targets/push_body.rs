//! A push body, first through the real depot (its router: bounded gunzip, JSON, `check_push`,
//! `decide` over SQL, the stored answers), then through the same protocol steps in memory with
//! their invariants checked.
//!
//! Input: one flags byte (bit 0: the body is gzipped; bits 1-2: the caller's role), then the
//! body as sent.
#![no_main]

use fundi_fuzz::facts::{account_of, device_of, MemFacts, NOW};
use fundi_fuzz::real_depot;
use fundi_sync::compression::gunzip;
use fundi_sync::depot::{check_push, decide, Caller, Decision, Refusal};
use fundi_sync::limits::DEPOT_INFLATED_MAX_BYTES;
use fundi_sync::{DocState, DraftStatus, FieldWrite, Kind, Mutation, Op, OrderBody, PushRequest, PushResponse, Role, StockBody};
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeMap;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, body)) = data.split_first() else { return };
    let gz = flags & 1 != 0;
    let role = Role::ALL[((flags >> 1) & 3) as usize];
    let device = device_of(role);

    // The real depot, end to end.
    let depot = real_depot::shared();
    let token = depot.device(role).token.clone();
    let answer = depot.call("POST", "/v1/sync/push", Some(&token), gz, body.to_vec()).expect("a fixed path");
    assert!(answer.status < 500, "push answered {}: {}", answer.status, String::from_utf8_lossy(&answer.body));

    // The same body through the protocol's steps.
    let raw = if gz {
        match gunzip(body, DEPOT_INFLATED_MAX_BYTES as u64) {
            Ok(raw) => raw,
            Err(_) => return assert!(answer.status == 400 || answer.status == 413),
        }
    } else {
        body.to_vec()
    };
    let Ok(req) = serde_json::from_slice::<PushRequest>(&raw) else {
        return assert_eq!(answer.status, 400, "the depot read a body the wire type refuses");
    };
    if check_push(&req, device).is_err() {
        return assert!(answer.status >= 400, "the depot took a batch check_push refuses");
    }
    assert_eq!(answer.status, 200, "a batch check_push accepts is answered: {}", String::from_utf8_lossy(&answer.body));
    let resp: PushResponse = serde_json::from_slice(&answer.body).expect("the depot's answer reads as a PushResponse");
    assert_eq!(resp.results.len(), req.mutations.len(), "one answer per mutation");

    let mut facts = MemFacts::new();
    let caller = Caller { account_id: account_of(role).into(), role };
    for m in &req.mutations {
        match decide(&facts, &caller, device, req.cursor, m, NOW) {
            Ok(Some(d)) => {
                check_decision(&d, m);
                facts.store(d.clone(), device);
                // Delivered twice: a field write changes nothing more; a stock entry counts once.
                match m.op() {
                    Ok(Op::Fields(_)) => {
                        let again = decide(&facts, &caller, device, req.cursor, m, NOW);
                        let again = again.unwrap_or_else(|e| panic!("a write applied once is refused the second time: {e:?}"));
                        let again = again.expect("a field write always decides a record");
                        assert_eq!((&again.body, &again.state), (&d.body, &d.state), "a field write is not idempotent");
                    }
                    Ok(Op::Entry(_)) => assert_eq!(decide(&facts, &caller, device, req.cursor, m, NOW), Ok(None)),
                    _ => {}
                }
            }
            Ok(None) => assert!(matches!(m.op(), Ok(Op::Entry(_))), "only a repeated stock entry decides nothing"),
            Err(Refusal::Refused(_)) => {}
            Err(Refusal::Failed(e)) => panic!("the rules could not read a record they stored: {e}"),
        }
    }
    converges(&req.mutations);
});

/// A decision is what the depot stores and phones read back: it must have their shapes.
fn check_decision(d: &Decision, m: &Mutation) {
    assert_eq!((d.kind, d.id.as_str()), (m.kind().expect("decided"), m.id.as_str()));
    match d.kind {
        Kind::Draft | Kind::Profile => {
            let state: DocState = serde_json::from_value(d.state.clone().expect("documents keep their state")).expect("state");
            let doc: DocState = serde_json::from_value(d.body["doc"].clone()).expect("the phone's doc");
            assert_eq!(doc, state.for_phone());
            assert_eq!(d.body["owner"].as_str(), d.owner.as_deref());
            if d.kind == Kind::Draft {
                let status = d.body["status"].as_str().and_then(DraftStatus::from_code);
                assert!(status.is_some(), "a draft without a status: {}", d.body);
            }
        }
        Kind::Order => {
            let _: OrderBody = serde_json::from_value(d.body.clone()).expect("an order body");
        }
        Kind::Stock => {
            let _: StockBody = serde_json::from_value(d.body.clone()).expect("a stock body");
        }
        Kind::Rejection => panic!("a phone cannot push a rejection"),
        Kind::Money => panic!("a phone cannot push money: the depot writes it"),
        Kind::Product => panic!("a phone cannot push a product: the depot writes it"),
    }
}

/// The writes of a batch merged in its order and in reverse give one state per record (the
/// merge depends on the set of writes only), each order taken causally: a write after the
/// writes of its field that its base names, as the depot receives them (the fold of conflicts
/// past a field's bound relies on it, see `fundi_sync::document`). Two different writes under
/// one stamp are left out: no honest clock mints them.
fn converges(mutations: &[Mutation]) {
    let mut writes: BTreeMap<(&str, &str), Vec<&FieldWrite>> = BTreeMap::new();
    for m in mutations {
        if let Some(fields) = &m.fields {
            for (name, w) in fields {
                if DocState::check(w).is_ok() {
                    writes.entry((m.id.as_str(), name.as_str())).or_default().push(w);
                }
            }
        }
    }
    let mut by_record: BTreeMap<&str, Vec<(&str, &FieldWrite)>> = BTreeMap::new();
    for ((id, name), ws) in writes {
        let mut seen: BTreeMap<_, &FieldWrite> = BTreeMap::new();
        if ws.iter().any(|w| seen.insert(w.hlc, w).is_some_and(|prev| prev != *w)) {
            continue;
        }
        by_record.entry(id).or_default().extend(ws.into_iter().map(|w| (name, w)));
    }
    for writes in by_record.values() {
        let merge = |order: &mut dyn Iterator<Item = &(&str, &FieldWrite)>| {
            let mut doc = DocState::default();
            for (name, w) in order {
                doc.apply(name, (*w).clone()).expect("checked");
            }
            doc
        };
        let forward = causal(writes.iter().copied());
        let backward = causal(writes.iter().rev().copied());
        let (forward, backward) = (merge(&mut forward.iter()), merge(&mut backward.iter()));
        assert_eq!(forward, backward, "the merge depends on the order of the writes");
    }
}

/// `order` rearranged so that each write comes after the writes of its field that its base
/// names, otherwise as given (Kahn's algorithm, earliest first; bases are older than their
/// write, so there is no cycle).
fn causal<'a>(order: impl Iterator<Item = (&'a str, &'a FieldWrite)>) -> Vec<(&'a str, &'a FieldWrite)> {
    let order: Vec<(&str, &FieldWrite)> = order.collect();
    let mut at: BTreeMap<(&str, fundi_sync::hlc::Timestamp), Vec<usize>> = BTreeMap::new();
    for (i, (name, w)) in order.iter().enumerate() {
        at.entry((name, w.hlc)).or_default().push(i);
    }
    let mut waits_for = vec![0usize; order.len()];
    let mut unblocks: Vec<Vec<usize>> = vec![vec![]; order.len()];
    for (i, (name, w)) in order.iter().enumerate() {
        for b in &w.base {
            for &j in at.get(&(*name, *b)).into_iter().flatten() {
                waits_for[i] += 1;
                unblocks[j].push(i);
            }
        }
    }
    let mut ready: std::collections::BTreeSet<usize> = (0..order.len()).filter(|i| waits_for[*i] == 0).collect();
    let mut out = Vec::with_capacity(order.len());
    while let Some(i) = ready.pop_first() {
        out.push(order[i]);
        for &k in &unblocks[i] {
            waits_for[k] -= 1;
            if waits_for[k] == 0 {
                ready.insert(k);
            }
        }
    }
    out
}
