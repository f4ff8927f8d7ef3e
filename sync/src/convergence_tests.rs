//! The convergence property: 10,000 random histories across 3 replicas that edit the same
//! documents and ledger with skewed clocks, exchanging their changes in random order, with
//! duplicates and retries. After everything is delivered every replica must hold the same state
//! (compared by a hash of its serialized form, and structurally), and applying every change a
//! second time must change nothing. A seeded generator keeps failures reproducible: the failing
//! seed is printed. The fold of conflicts past a field's bound is checked the same way, with a
//! bound of 1 so that it happens often, under causal delivery (see `document`).

use super::document::{DocState, FieldWrite};
use super::ledger::{Ledger, LedgerEntry};
use super::wire::Extra;
use crate::hlc::{Hlc, Timestamp};
use crate::limits::CONFLICTS_PER_FIELD_MAX;
use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, BTreeSet};
use std::hash::{Hash, Hasher};

use crate::testing::SeededRng as Rng;

#[derive(Clone, Debug)]
enum Msg {
    Field { doc: u8, field: &'static str, write: FieldWrite },
    Entry(LedgerEntry),
}

#[derive(Clone)]
struct Replica {
    docs: BTreeMap<u8, DocState>,
    ledger: Ledger,
    clock: Hlc,
    /// This replica's wall clock, skewed and sometimes set backwards.
    wall: u64,
    inbox: Vec<Msg>,
    /// Conflict values kept per field.
    keep: usize,
    /// The field writes applied here, by (document, field, stamp).
    applied: BTreeSet<(u8, &'static str, Timestamp)>,
}

/// How messages reach a replica.
#[derive(Clone, Copy, PartialEq)]
enum Delivery {
    /// In any order.
    Any,
    /// A write only after the writes its base names (as through the depot).
    Causal,
}

impl Replica {
    fn apply(&mut self, m: &Msg) {
        match m {
            Msg::Field { doc, field, write } => {
                let _ = self.clock.observe(write.hlc, self.wall, u64::MAX);
                self.docs
                    .entry(*doc)
                    .or_default()
                    .apply_keeping(field, write.clone(), self.keep)
                    .expect("honest writes are valid");
                self.applied.insert((*doc, field, write.hlc));
            }
            Msg::Entry(e) => {
                let _ = self.clock.observe(e.hlc, self.wall, u64::MAX);
                self.ledger.append(e.clone()).expect("honest entries are valid");
            }
        }
    }

    fn state_hash(&self) -> u64 {
        let mut h = DefaultHasher::new();
        serde_json::to_string(&self.docs).unwrap().hash(&mut h);
        for e in self.ledger.entries.values() {
            serde_json::to_string(e).unwrap().hash(&mut h);
        }
        h.finish()
    }
}

const FIELDS: [&str; 3] = ["title", "price", "description"];

/// Whether `rep` may be given `m` now: always, or under causal delivery once it has applied
/// every write `m`'s base names (of those `sent`).
fn deliverable(rep: &Replica, m: &Msg, delivery: Delivery, sent: &BTreeSet<(u8, &'static str, Timestamp)>) -> bool {
    match (delivery, m) {
        (Delivery::Causal, Msg::Field { doc, field, write }) => {
            write.base.iter().all(|b| !sent.contains(&(*doc, *field, *b)) || rep.applied.contains(&(*doc, *field, *b)))
        }
        _ => true,
    }
}

/// A random message of `rep`'s inbox it may be given now, if any.
fn pick(rng: &mut Rng, rep: &Replica, delivery: Delivery, sent: &BTreeSet<(u8, &'static str, Timestamp)>) -> Option<usize> {
    let ready: Vec<usize> = (0..rep.inbox.len()).filter(|&i| deliverable(rep, &rep.inbox[i], delivery, sent)).collect();
    (!ready.is_empty()).then(|| ready[rng.below(ready.len() as u64) as usize])
}

/// What one history ended with.
struct Ended {
    messages: usize,
    conflicts: usize,
    folded: usize,
}

/// Run one history, each replica keeping `keep` conflict values per field; returns what it
/// ended with, or the divergence.
fn history(seed: u64, keep: usize, delivery: Delivery) -> Result<Ended, String> {
    let mut rng = Rng(seed);
    let mut reps: Vec<Replica> = (0..3)
        .map(|i| Replica {
            docs: BTreeMap::new(),
            ledger: Ledger::default(),
            clock: Hlc::new(i as u64 + 1),
            wall: 1_000_000 + rng.below(10_000),
            inbox: vec![],
            keep,
            applied: BTreeSet::new(),
        })
        .collect();
    let mut sent = BTreeSet::new();
    let mut all: Vec<Msg> = vec![];
    let mut entry_no = 0u32;
    let steps = 6 + rng.below(14);
    for _ in 0..steps {
        let r = rng.below(3) as usize;
        // Each replica's wall clock moves on, sometimes jumps backwards.
        reps[r].wall = if rng.chance(10) { reps[r].wall.saturating_sub(rng.below(5_000)) } else { reps[r].wall + rng.below(50) };
        if rng.chance(55) {
            // A local batch of 1..3 edits, sent to the others.
            let mut batch = vec![];
            for _ in 0..1 + rng.below(3) {
                let wall = reps[r].wall;
                let hlc = reps[r].clock.tick(wall).unwrap();
                let msg = if rng.chance(20) {
                    entry_no += 1;
                    let id = format!("e{}-{}", r, entry_no);
                    Msg::Entry(LedgerEntry {
                        id,
                        product_id: format!("p{}", rng.below(2)),
                        delta: rng.below(9) as i64 - 4 + if rng.chance(50) { 10 } else { -10 },
                        reason: "count".into(),
                        hlc,
                        extra: Extra::new(),
                    })
                } else {
                    let doc = rng.below(2) as u8;
                    let field = FIELDS[rng.below(3) as usize];
                    let state = reps[r].docs.entry(doc).or_default();
                    let conflict = state.conflicts.get(field).and_then(|c| c.keys().next().copied());
                    let write = match conflict {
                        Some(c) if rng.chance(50) => state.resolution(field, c, rng.chance(50), hlc).unwrap(),
                        _ => FieldWrite::new(serde_json::json!(rng.below(1000)), hlc, state.stamp(field).into_iter().collect()),
                    };
                    sent.insert((doc, field, write.hlc));
                    Msg::Field { doc, field, write }
                };
                reps[r].apply(&msg);
                batch.push(msg);
            }
            for (other, rep) in reps.iter_mut().enumerate() {
                if other != r {
                    let copies = if rng.chance(20) { 2 } else { 1 }; // a retried send
                    for _ in 0..copies {
                        rep.inbox.extend(batch.iter().cloned());
                    }
                }
            }
            all.extend(batch);
        } else {
            // Deliver one pending message, picked at random (reordering); sometimes keep it
            // queued too (a lost acknowledgement makes the sender retry).
            if let Some(i) = pick(&mut rng, &reps[r], delivery, &sent) {
                let m = if rng.chance(15) { reps[r].inbox[i].clone() } else { reps[r].inbox.swap_remove(i) };
                reps[r].apply(&m);
            }
        }
    }
    // Deliver everything left, in random order.
    for rep in reps.iter_mut() {
        while !rep.inbox.is_empty() {
            let i = pick(&mut rng, rep, delivery, &sent).expect("every write's base was sent before it");
            let m = rep.inbox.swap_remove(i);
            rep.apply(&m);
        }
    }
    let hashes: Vec<u64> = reps.iter().map(Replica::state_hash).collect();
    if hashes[0] != hashes[1] || hashes[1] != hashes[2] {
        return Err(format!("seed {seed}: state hashes differ: {hashes:?}"));
    }
    if reps[0].docs != reps[1].docs || reps[1].docs != reps[2].docs || reps[0].ledger != reps[2].ledger {
        return Err(format!("seed {seed}: states differ with equal hashes"));
    }
    // Everything applied a second time, in reverse order: no change.
    let mut again = reps[0].clone();
    for m in all.iter().rev() {
        again.apply(m);
    }
    if again.state_hash() != hashes[0] {
        return Err(format!("seed {seed}: re-applying the history changed the state"));
    }
    // Ledger sums are the sums of all entries made.
    let made: i64 = all.iter().filter_map(|m| if let Msg::Entry(e) = m { Some(e.delta) } else { None }).sum();
    if reps[0].ledger.balance("p0") + reps[0].ledger.balance("p1") != made {
        return Err(format!("seed {seed}: stock does not add up"));
    }
    let conflicts = reps[0].docs.values().map(|d| d.conflict_list().len()).sum();
    let folded = reps[0].docs.values().map(|d| d.folded.values().map(BTreeSet::len).sum::<usize>()).sum();
    Ok(Ended { messages: all.len(), conflicts, folded })
}

#[test]
fn ten_thousand_random_histories_converge() {
    let mut messages = 0;
    let mut with_conflicts = 0;
    for seed in 0..10_000u64 {
        let end = history(seed, CONFLICTS_PER_FIELD_MAX, Delivery::Any).unwrap_or_else(|e| panic!("{e}"));
        messages += end.messages;
        with_conflicts += (end.conflicts > 0) as usize;
    }
    // The generator must actually produce concurrent edits, or the test proves nothing.
    assert!(with_conflicts > 1_000, "only {with_conflicts} histories ended with a conflict");
    assert!(messages > 50_000);
}

/// The fold, made to work hard: each field keeps the value of only one conflict, and writes
/// arrive after the writes their bases name (as through the depot) but otherwise in any
/// order, repeated. Every replica folds the same conflicts away. (In any order at all, a write
/// that arrives before the one its base names can leave one replica with a value another
/// folded: with the protocol's bound of 8, none of the histories above folds at all.)
#[test]
fn ten_thousand_histories_folding_past_one_conflict_converge() {
    let mut with_folds = 0;
    for seed in 0..10_000u64 {
        let end = history(seed, 1, Delivery::Causal).unwrap_or_else(|e| panic!("{e}"));
        with_folds += (end.folded > 0) as usize;
    }
    assert!(with_folds > 1_000, "only {with_folds} histories ended with a conflict folded away");
}

#[test]
fn a_timestamp_sorts_the_same_in_text_and_in_the_merge() {
    // DocState keys conflicts by Timestamp; the server stores them as text. Both orders agree.
    let a = Timestamp { wall_ms: 5, counter: 1, node: 2 };
    let b = Timestamp { wall_ms: 5, counter: 2, node: 1 };
    assert!(a < b && a.to_string() < b.to_string());
}
