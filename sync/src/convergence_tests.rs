//! The convergence property, on random histories of three replicas (an artisan's, a staff
//! member's and an operations phone) with skewed clocks that jump back, exchanging their changes
//! in random order with duplicates, lost replies and retries:
//!
//! - documents: field writes, conflict resolutions and deletes, sent peer to peer;
//! - ledger entries, sent peer to peer;
//! - order commands, pushed to a depot that decides each once, in arrival order, with the
//!   protocol's own step (`depot::decide_order_command`), and broadcasts every new order state
//!   with its feed position; a lost reply makes the phone push the same commands again.
//!
//! After everything is delivered, every replica must hold the same state (compared structurally),
//! applying every message again must change nothing, and the state must be the one an oracle
//! computes straight from the list of writes, without the merge code:
//!
//! - per field, the value held is the write with the greatest stamp among all writes of that
//!   field; the conflicts held are exactly the other writes no write names in its base;
//! - deletes: a delete is a write of the field `deleted` = `true` (`fields::DRAFT_DELETED`; the
//!   phone's `delete_draft` sends exactly that), merged per field like any other. A record is
//!   gone iff the winner of its `deleted` field is `true`: edits of other fields, concurrent
//!   with or after the delete, win their own fields but do not bring the record back; only a
//!   `deleted: false` with a greater stamp does (the wire allows it, though this app's editor
//!   never sends one; a few histories do);
//! - ledgers: every replica holds every entry made, once; a balance is the sum of its entries;
//! - orders: the depot's accepted commands, in its order, form a path of the transition table
//!   from the order's first state to its last; every command sent is decided exactly once
//!   (applied or refused with a reason, never silently dropped, never twice); every replica's
//!   copy, and its optimistic view, equal the depot's record; the sender's copy settled with the
//!   phone's own step (`phone::settle_order`) is the depot's record too (quality checks carry
//!   photos now and then, other commands a photo they must ignore).
//!
//! Two runs: many short histories (odd interleavings) and fewer long ones (hundreds of
//! messages each). A third makes the fold of conflicts past a field's bound work hard: each
//! field keeps the value of only one conflict, under causal delivery (a write after those its
//! base names, as through the depot; see `document`), and the conflicts kept and folded
//! together must be the oracle's. A seeded generator keeps failures reproducible: the failing
//! seed is printed.

use crate::depot::{decide_order_command, AccountFacts, Caller, DepotFacts, Refusal, StoredRecord};
use crate::document::{DocState, FieldWrite};
use crate::fields::DRAFT_DELETED;
use crate::hlc::{Hlc, Timestamp};
use crate::ledger::{Ledger, LedgerEntry};
use crate::limits::CONFLICTS_PER_FIELD_MAX;
use crate::phone::settle_order;
use crate::roles::{Relation, Role};
use crate::testing::SeededRng as Rng;
use crate::wire::{CommandBody, Extra, Kind, OrderBody, RejectCode};
use crate::workflow::{order_step, OrderCommand, OrderStatus, ORDER_TRANSITIONS, PHOTO_ARG};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// What travels to a replica: a field write or a ledger entry (from another replica), or an
/// order's state at the depot with its feed position.
#[derive(Clone, Debug)]
enum Msg {
    Field { doc: u8, field: &'static str, write: FieldWrite },
    Entry(LedgerEntry),
    Order { order: u8, seq: u64, body: OrderBody },
}

/// A command waiting in a replica's outbox: (counter, order, command).
type Pending = (u64, u8, CommandBody);

const ACCOUNTS: [(&str, Role); 3] = [("artisan", Role::Artisan), ("staff", Role::Staff), ("ops", Role::Operations)];
const FIELDS: [&str; 4] = ["title", "price", "description", DRAFT_DELETED];
const DOCS: u8 = 2;
const ORDERS: u8 = 3;

fn order_id(n: u8) -> String {
    format!("order-{n}")
}

#[derive(Clone)]
struct Replica {
    account: &'static str,
    role: Role,
    docs: BTreeMap<u8, DocState>,
    ledger: Ledger,
    /// The depot's last state of each order, with its feed position (the greatest seen wins).
    orders: BTreeMap<u8, (u64, OrderBody)>,
    /// This replica's commands the depot has not answered yet, in counter order.
    pending: Vec<Pending>,
    counter: u64,
    clock: Hlc,
    /// This replica's wall clock, skewed and sometimes set backwards.
    wall: u64,
    inbox: Vec<Msg>,
    /// Conflict values kept per field.
    keep: usize,
    /// The field writes applied here, by (document, field, stamp).
    applied: BTreeSet<WriteKey>,
}

/// A field write by (document, field, stamp).
type WriteKey = (u8, &'static str, Timestamp);

/// How messages reach a replica.
#[derive(Clone, Copy, PartialEq)]
enum Delivery {
    /// In any order.
    Any,
    /// A field write only after the writes its base names (as through the depot).
    Causal,
}

impl Replica {
    fn apply(&mut self, m: &Msg) {
        match m {
            Msg::Field { doc, field, write } => {
                let _ = self.clock.observe(write.hlc, self.wall, u64::MAX);
                let state = self.docs.entry(*doc).or_default();
                state.apply_keeping(field, write.clone(), self.keep).expect("honest writes are valid");
                self.applied.insert((*doc, field, write.hlc));
            }
            Msg::Entry(e) => {
                let _ = self.clock.observe(e.hlc, self.wall, u64::MAX);
                self.ledger.append(e.clone()).expect("honest entries are valid");
            }
            Msg::Order { order, seq, body } => {
                let _ = self.clock.observe(body.updated_hlc, self.wall, u64::MAX);
                if self.orders.get(order).is_none_or(|(s, _)| s < seq) {
                    self.orders.insert(*order, (*seq, body.clone()));
                }
            }
        }
    }

    fn gone(&self, doc: u8) -> bool {
        self.docs.get(&doc).and_then(|d| d.value(DRAFT_DELETED)) == Some(&json!(true))
    }

    fn relation(&self, o: &OrderBody) -> Relation {
        if o.artisan_id.as_deref() == Some(self.account) {
            Relation::Owner
        } else {
            Relation::Other
        }
    }

    /// The order as this phone shows it: the depot's state with its pending commands replayed
    /// by the transition table (a command that no longer fits is left for the depot to refuse).
    fn order_view(&self, order: u8) -> OrderStatus {
        let body = &self.orders[&order].1;
        let mut status = OrderStatus::from_code(&body.status).expect("a known status");
        for (_, o, c) in &self.pending {
            if *o == order {
                let cmd = OrderCommand::from_code(&c.name).expect("a known command");
                if let Ok(next) = order_step(status, cmd, self.role, self.relation(body)) {
                    status = next;
                }
            }
        }
        status
    }

    /// Whether two replicas hold the same state: documents (values, conflicts, replaced
    /// stamps), ledger and orders.
    fn same_state(&self, other: &Replica) -> bool {
        self.docs == other.docs && self.ledger == other.ledger && self.orders == other.orders
    }

    /// Whether this replica may be given `m` now: always, or under causal delivery once it has
    /// applied every write `m`'s base names (of those `sent`).
    fn may_take(&self, m: &Msg, delivery: Delivery, sent: &BTreeSet<WriteKey>) -> bool {
        match (delivery, m) {
            (Delivery::Causal, Msg::Field { doc, field, write }) => {
                write.base.iter().all(|b| !sent.contains(&(*doc, *field, *b)) || self.applied.contains(&(*doc, *field, *b)))
            }
            _ => true,
        }
    }

    /// A random message of the inbox this replica may be given now, if any.
    fn pick(&self, rng: &mut Rng, delivery: Delivery, sent: &BTreeSet<WriteKey>) -> Option<usize> {
        let ready: Vec<usize> = (0..self.inbox.len()).filter(|&i| self.may_take(&self.inbox[i], delivery, sent)).collect();
        (!ready.is_empty()).then(|| ready[rng.below(ready.len() as u64) as usize])
    }
}

/// One decision of the depot on an order command, as logged for the oracle.
struct Decided {
    order: u8,
    from: OrderStatus,
    command: OrderCommand,
    hlc: Timestamp,
    /// `None`: applied (the order's new status is the record's); `Some`: refused, with why.
    refused: Option<RejectCode>,
    to: OrderStatus,
}

/// The depot, for orders only: records, the accounts, each replica's last counter and answers.
struct Depot {
    orders: BTreeMap<String, StoredRecord>,
    accounts: BTreeMap<String, AccountFacts>,
    seq: u64,
    last: [u64; 3],
    answers: BTreeMap<(usize, u64), Option<RejectCode>>,
    log: Vec<Decided>,
    /// Every order state broadcast (for the re-application check).
    sent: Vec<Msg>,
    /// Quality checks applied with a photo.
    photos: usize,
}

impl DepotFacts for Depot {
    type Error = String;
    fn record(&self, kind: Kind, id: &str) -> Result<Option<StoredRecord>, String> {
        Ok(if kind == Kind::Order { self.orders.get(id).cloned() } else { None })
    }
    fn account(&self, id: &str) -> Result<Option<AccountFacts>, String> {
        Ok(self.accounts.get(id).cloned())
    }
}

impl Depot {
    /// Decide a pushed batch of replica `r`'s commands in counter order; a counter already
    /// decided gets its stored answer. New order states go to every replica's inbox.
    fn push(&mut self, r: usize, batch: &[Pending], reps: &mut [Replica], rng: &mut Rng) -> Vec<(u64, Option<RejectCode>)> {
        let (account, role) = ACCOUNTS[r];
        let caller = Caller { account_id: account.into(), role };
        let mut out = vec![];
        for (counter, order, c) in batch {
            if *counter <= self.last[r] {
                out.push((*counter, self.answers[&(r, *counter)]));
                continue;
            }
            let id = order_id(*order);
            let stored = self.orders[&id].clone();
            let from = OrderStatus::from_code(stored.body["status"].as_str().unwrap()).unwrap();
            let command = OrderCommand::from_code(&c.name).unwrap();
            let mut sender_copy: OrderBody = serde_json::from_value(stored.body.clone()).unwrap();
            let answer = match decide_order_command(self, &caller, &id, stored, c, false) {
                Ok(d) => {
                    // The sender, holding the order as it was, settles its acknowledged command
                    // with the phone's own step: the very record, byte for byte.
                    assert!(settle_order(&mut sender_copy, c), "{command:?} acknowledged yet not settled");
                    assert_eq!(serde_json::to_value(&sender_copy).unwrap(), d.body, "the phone's copy and the depot's record");
                    self.photos += sender_copy.history.last().is_some_and(|e| e.photo.is_some()) as usize;
                    self.seq += 1;
                    let to = OrderStatus::from_code(d.body["status"].as_str().unwrap()).unwrap();
                    let body: OrderBody = serde_json::from_value(d.body.clone()).unwrap();
                    let msg = Msg::Order { order: *order, seq: self.seq, body };
                    for rep in reps.iter_mut() {
                        let copies = if rng.chance(20) { 2 } else { 1 };
                        for _ in 0..copies {
                            rep.inbox.push(msg.clone());
                        }
                    }
                    self.sent.push(msg);
                    let rec = StoredRecord { owner: d.owner, body: d.body, state: None, seq: self.seq, last_device: None };
                    self.orders.insert(id, rec);
                    self.log.push(Decided { order: *order, from, command, hlc: c.hlc, refused: None, to });
                    None
                }
                Err(Refusal::Refused(rej)) => {
                    self.log.push(Decided { order: *order, from, command, hlc: c.hlc, refused: Some(rej.code), to: from });
                    Some(rej.code)
                }
                Err(Refusal::Failed(e)) => panic!("the depot failed: {e}"),
            };
            self.answers.insert((r, *counter), answer);
            self.last[r] = *counter;
            out.push((*counter, answer));
        }
        out
    }
}

fn new_order(n: u8, hlc: Timestamp) -> OrderBody {
    // Order 0 waits for operations to assign it; the others are assigned to the artisan already.
    OrderBody {
        status: if n == 0 { "new" } else { "assigned" }.into(),
        artisan_id: (n != 0).then(|| "artisan".to_string()),
        product: "Kiondo".into(),
        product_id: None,
        quantity: 1,
        price_minor: 150_000,
        source: "shop".into(),
        external_ref: format!("S-{n}"),
        updated_hlc: hlc,
        note: None,
        due_date: None,
        history: vec![],
        history_dropped: 0,
        extra: Extra::new(),
    }
}

/// A replica's push: its pending commands in counter order; the reply is lost now and then.
fn push(r: usize, reps: &mut [Replica], depot: &mut Depot, rng: &mut Rng, lose_reply: bool) {
    if reps[r].pending.is_empty() {
        return;
    }
    let batch = reps[r].pending.clone();
    let answers = depot.push(r, &batch, reps, rng);
    if !lose_reply {
        let answered: BTreeSet<u64> = answers.iter().map(|(c, _)| *c).collect();
        reps[r].pending.retain(|(c, _, _)| !answered.contains(c));
    }
}

/// A command this replica would send: one its optimistic view allows, or now and then any
/// command at all (a phone holding a stale copy, or an old build): the depot refuses those.
fn pick_command(rep: &Replica, order: u8, rng: &mut Rng) -> Option<OrderCommand> {
    if rng.chance(15) {
        return Some(OrderCommand::ALL[rng.below(OrderCommand::ALL.len() as u64) as usize]);
    }
    let status = rep.order_view(order);
    let rel = rep.relation(&rep.orders[&order].1);
    // Cancelling ends an order's story: operations do it rarely, so long histories keep orders moving.
    let cancel = rng.chance(5);
    let allowed: Vec<OrderCommand> = OrderCommand::ALL
        .iter()
        .copied()
        .filter(|c| order_step(status, *c, rep.role, rel).is_ok() && (*c != OrderCommand::Cancel || cancel))
        .collect();
    (!allowed.is_empty()).then(|| allowed[rng.below(allowed.len() as u64) as usize])
}

/// A field write of `doc` by replica `r`, or `None` when it would not write (the record is gone
/// on this replica: its editor no longer shows it).
fn field_write(rep: &mut Replica, doc: u8, rng: &mut Rng, hlc: Timestamp) -> Option<Msg> {
    let gone = rep.gone(doc);
    let state = rep.docs.entry(doc).or_default();
    let field = if gone {
        // Only an undelete touches a record that is gone here, and only rarely.
        if !rng.chance(5) {
            return None;
        }
        DRAFT_DELETED
    } else if rng.chance(10) {
        DRAFT_DELETED
    } else {
        FIELDS[rng.below(3) as usize]
    };
    let conflict = state.conflicts.get(field).and_then(|c| c.keys().next().copied());
    let write = match conflict {
        Some(c) if rng.chance(50) => state.resolution(field, c, rng.chance(50), hlc).unwrap(),
        _ => {
            let value = if field == DRAFT_DELETED { json!(!gone) } else { json!(rng.below(1000)) };
            FieldWrite::new(value, hlc, state.stamp(field).into_iter().collect())
        }
    };
    Some(Msg::Field { doc, field, write })
}

/// What one history produced, for the test to check the generator really exercised things.
#[derive(Default)]
struct Outcome {
    messages: usize,
    conflicts: usize,
    /// Conflicts whose values were folded away.
    folded: usize,
    deleted: usize,
    applied_commands: usize,
    refused_commands: usize,
    /// Quality checks applied with a photo.
    photos: usize,
}

/// Run one history of `steps` steps, each replica keeping `keep` conflict values per field;
/// returns what it produced, or the divergence.
fn history(seed: u64, steps: u64, keep: usize, delivery: Delivery) -> Result<Outcome, String> {
    let mut rng = Rng(seed);
    let start = 1_000_000 + rng.below(10_000);
    let mut reps: Vec<Replica> = ACCOUNTS
        .iter()
        .enumerate()
        .map(|(i, (account, role))| Replica {
            account,
            role: *role,
            docs: BTreeMap::new(),
            ledger: Ledger::default(),
            orders: BTreeMap::new(),
            pending: vec![],
            counter: 0,
            clock: Hlc::new(i as u64 + 1),
            wall: start + rng.below(10_000),
            inbox: vec![],
            keep,
            applied: BTreeSet::new(),
        })
        .collect();
    let mut sent: BTreeSet<WriteKey> = BTreeSet::new();
    let mut depot = Depot {
        orders: BTreeMap::new(),
        accounts: ACCOUNTS.iter().map(|(a, role)| (a.to_string(), AccountFacts { role: *role, mentor_id: None })).collect(),
        seq: 0,
        last: [0; 3],
        answers: BTreeMap::new(),
        log: vec![],
        sent: vec![],
        photos: 0,
    };
    let mut first_orders = BTreeMap::new();
    for n in 0..ORDERS {
        depot.seq += 1;
        let body = new_order(n, Timestamp { wall_ms: start, counter: 0, node: 99 });
        first_orders.insert(n, body.clone());
        let owner = body.artisan_id.clone();
        let rec =
            StoredRecord { owner, body: serde_json::to_value(&body).unwrap(), state: None, seq: depot.seq, last_device: None };
        depot.orders.insert(order_id(n), rec);
        for rep in reps.iter_mut() {
            rep.orders.insert(n, (depot.seq, body.clone()));
        }
    }
    let mut all: Vec<Msg> = vec![];
    let mut commands_sent = 0usize;
    let mut entry_no = 0u32;
    for _ in 0..steps {
        let r = rng.below(3) as usize;
        // Each replica's wall clock moves on, sometimes jumps backwards.
        reps[r].wall = if rng.chance(10) { reps[r].wall.saturating_sub(rng.below(5_000)) } else { reps[r].wall + rng.below(50) };
        let roll = rng.below(100);
        if roll < 50 {
            // A local batch of 1..3 edits, sent to the others.
            let mut batch = vec![];
            for _ in 0..1 + rng.below(3) {
                let wall = reps[r].wall;
                let hlc = reps[r].clock.tick(wall).unwrap();
                let msg = if rng.chance(20) {
                    entry_no += 1;
                    let id = format!("e{}-{}", r, entry_no);
                    Some(Msg::Entry(LedgerEntry {
                        id,
                        product_id: format!("p{}", rng.below(2)),
                        delta: rng.below(9) as i64 - 4 + if rng.chance(50) { 10 } else { -10 },
                        reason: "count".into(),
                        hlc,
                        extra: Extra::new(),
                    }))
                } else {
                    let doc = rng.below(DOCS as u64) as u8;
                    field_write(&mut reps[r], doc, &mut rng, hlc)
                };
                if let Some(msg) = msg {
                    if let Msg::Field { doc, field, write } = &msg {
                        sent.insert((*doc, field, write.hlc));
                    }
                    reps[r].apply(&msg);
                    batch.push(msg);
                }
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
        } else if roll < 62 {
            // An order command, queued in the outbox.
            let order = rng.below(ORDERS as u64) as u8;
            if let Some(cmd) = pick_command(&reps[r], order, &mut rng) {
                let mut args = Extra::new();
                if cmd == OrderCommand::Assign {
                    // Now and then to someone who is not an artisan: refused as invalid.
                    args.insert("artisan_id".into(), json!(if rng.chance(10) { "staff" } else { "artisan" }));
                }
                if cmd.takes_reason() {
                    args.insert("reason".into(), json!(format!("reason {}", rng.below(100))));
                }
                // A photo now and then: with a quality check (kept in the history), with
                // another command (ignored), or not a content hash (a check refuses it).
                if rng.chance(if cmd.takes_photo() { 60 } else { 10 }) {
                    let photo =
                        if rng.chance(10) { "not-a-hash".to_string() } else { crate::hash::sha256_hex(&[rng.below(4) as u8]) };
                    args.insert(PHOTO_ARG.into(), json!(photo));
                }
                let wall = reps[r].wall;
                let hlc = reps[r].clock.tick(wall).unwrap();
                reps[r].counter += 1;
                let counter = reps[r].counter;
                reps[r].pending.push((counter, order, CommandBody { name: cmd.code().into(), hlc, args, extra: Extra::new() }));
                commands_sent += 1;
            }
        } else if roll < 72 {
            // A push of the outbox's commands; one reply in five is lost (sent again later).
            let lose = rng.chance(20);
            push(r, &mut reps, &mut depot, &mut rng, lose);
        } else if let Some(i) = reps[r].pick(&mut rng, delivery, &sent) {
            // Deliver one pending message, picked at random (reordering); sometimes keep it
            // queued too (a lost acknowledgement makes the sender retry).
            let m = if rng.chance(15) { reps[r].inbox[i].clone() } else { reps[r].inbox.swap_remove(i) };
            reps[r].apply(&m);
        }
    }
    // Every outbox pushed until answered, then everything left delivered, in random order.
    for r in 0..reps.len() {
        push(r, &mut reps, &mut depot, &mut rng, false);
    }
    for rep in reps.iter_mut() {
        while !rep.inbox.is_empty() {
            let i = rep.pick(&mut rng, delivery, &sent).expect("every write's base was sent before it");
            let m = rep.inbox.swap_remove(i);
            rep.apply(&m);
        }
    }

    let fail = |what: String| Err(format!("seed {seed}: {what}"));
    if let Some(r) = reps.iter().find(|r| !r.same_state(&reps[0])) {
        return fail(format!("{} and {} hold different states", r.account, reps[0].account));
    }
    // Everything applied a second time, in reverse order: no change.
    let mut again = reps[0].clone();
    for m in all.iter().chain(&depot.sent).rev() {
        again.apply(m);
    }
    if !again.same_state(&reps[0]) {
        return fail("re-applying the history changed the state".into());
    }

    // The oracle for documents, from the list of writes alone.
    let mut writes: BTreeMap<(u8, &str), Vec<&FieldWrite>> = BTreeMap::new();
    for m in &all {
        if let Msg::Field { doc, field, write } = m {
            writes.entry((*doc, *field)).or_default().push(write);
        }
    }
    let rep = &reps[0];
    let mut deleted = 0;
    for doc in 0..DOCS {
        let held = rep.docs.get(&doc).cloned().unwrap_or_default();
        let fields_written: BTreeSet<&str> = writes.keys().filter(|(d, _)| *d == doc).map(|(_, f)| *f).collect();
        let fields_held: BTreeSet<&str> = held.fields.keys().map(String::as_str).collect();
        if fields_written != fields_held {
            return fail(format!("doc {doc} holds fields {fields_held:?}, written were {fields_written:?}"));
        }
        for field in fields_written {
            let ws = &writes[&(doc, field)];
            let winner = ws.iter().max_by_key(|w| w.hlc).unwrap();
            if held.fields.get(field) != Some(*winner) {
                return fail(format!(
                    "doc {doc} {field}: holds {:?}, the greatest stamp wrote {:?}",
                    held.fields.get(field).map(|w| (&w.value, w.hlc)),
                    (&winner.value, winner.hlc)
                ));
            }
            let named: BTreeSet<Timestamp> = ws.iter().flat_map(|w| w.base.iter().copied()).collect();
            let losers: BTreeSet<Timestamp> =
                ws.iter().map(|w| w.hlc).filter(|t| *t != winner.hlc && !named.contains(t)).collect();
            // Each conflict is kept with its value or folded away, never both, never lost.
            let kept: BTreeSet<Timestamp> = held.conflicts.get(field).map(|c| c.keys().copied().collect()).unwrap_or_default();
            let folded = held.folded.get(field).cloned().unwrap_or_default();
            if !kept.is_disjoint(&folded) || kept.union(&folded).copied().collect::<BTreeSet<_>>() != losers {
                return fail(format!(
                    "doc {doc} {field}: conflicts kept {kept:?} and folded {folded:?}, unseen overwritten writes {losers:?}"
                ));
            }
            if kept.len() > keep {
                return fail(format!("doc {doc} {field}: {} conflict values kept, the bound is {keep}", kept.len()));
            }
        }
        let gone = writes.get(&(doc, DRAFT_DELETED)).and_then(|ws| ws.iter().max_by_key(|w| w.hlc)).map(|w| &w.value)
            == Some(&json!(true));
        if reps.iter().any(|r| r.gone(doc) != gone) {
            return fail(format!("doc {doc}: gone by its greatest-stamp delete is {gone}, not so on every replica"));
        }
        deleted += gone as usize;
    }

    // Ledgers: every entry made, once; each balance its entries' sum.
    let made: BTreeMap<&str, &LedgerEntry> =
        all.iter().filter_map(|m| if let Msg::Entry(e) = m { Some((e.id.as_str(), e)) } else { None }).collect();
    for r in &reps {
        if r.ledger.entries.len() != made.len() || made.values().any(|e| r.ledger.entries.get(&e.id) != Some(*e)) {
            return fail("a ledger lacks an entry made, or holds another".into());
        }
        for p in ["p0", "p1"] {
            let sum: i64 = made.values().filter(|e| e.product_id == p).map(|e| e.delta).sum();
            if r.ledger.balance(p) != sum {
                return fail(format!("stock of {p} is {}, its entries sum to {sum}", r.ledger.balance(p)));
            }
        }
    }

    // Orders: every command decided once; the accepted ones a path of the table; every copy
    // and every optimistic view the depot's record.
    if depot.log.len() != commands_sent || depot.answers.len() != commands_sent {
        return fail(format!("{commands_sent} commands sent, {} decided, {} answers", depot.log.len(), depot.answers.len()));
    }
    if let Some(r) = reps.iter().find(|r| !r.pending.is_empty()) {
        return fail(format!("{} still has commands pending", r.account));
    }
    let mut outcome = Outcome { messages: all.len() + commands_sent, deleted, photos: depot.photos, ..Outcome::default() };
    for n in 0..ORDERS {
        let mut status = OrderStatus::from_code(&first_orders[&n].status).unwrap();
        let mut last_hlc = first_orders[&n].updated_hlc;
        for d in depot.log.iter().filter(|d| d.order == n) {
            if d.from != status {
                return fail(format!("order {n}: a command was decided against {:?}, the order was {status:?}", d.from));
            }
            match d.refused {
                None => {
                    let in_table =
                        ORDER_TRANSITIONS.iter().any(|t| t.command == d.command && t.from.contains(&d.from) && t.to == d.to);
                    if !in_table {
                        return fail(format!("order {n}: {:?} took it from {:?} to {:?}", d.command, d.from, d.to));
                    }
                    status = d.to;
                    last_hlc = last_hlc.max(d.hlc);
                    outcome.applied_commands += 1;
                }
                Some(code) => {
                    let legal = ORDER_TRANSITIONS.iter().any(|t| t.command == d.command && t.from.contains(&d.from));
                    let why_ok = match code {
                        RejectCode::IllegalTransition => !legal,
                        RejectCode::Forbidden | RejectCode::Invalid => true,
                        _ => false,
                    };
                    if !why_ok {
                        return fail(format!("order {n}: {:?} from {:?} refused as {code:?}", d.command, d.from));
                    }
                    outcome.refused_commands += 1;
                }
            }
        }
        let depot_body: OrderBody = serde_json::from_value(depot.orders[&order_id(n)].body.clone()).unwrap();
        if depot_body.status != status.code() || depot_body.updated_hlc != last_hlc {
            return fail(format!("order {n}: the depot holds {depot_body:?}, its log leads to {status:?} at {last_hlc}"));
        }
        for r in &reps {
            if r.orders[&n].1 != depot_body || r.order_view(n) != status {
                return fail(format!("order {n}: {} shows {:?}, the depot holds {depot_body:?}", r.account, r.orders[&n]));
            }
        }
    }
    outcome.conflicts = rep.docs.values().map(|d| d.conflict_list().len()).sum();
    outcome.folded = rep.docs.values().map(|d| d.folded.values().map(BTreeSet::len).sum::<usize>()).sum();
    Ok(outcome)
}

/// Run `histories` histories of `min_steps..min_steps + spread` steps from `first_seed`, each
/// replica keeping `keep` conflict values per field, delivered by `delivery`, and check the
/// generator really produced what the test is about.
fn run_keeping(first_seed: u64, histories: u64, (min_steps, spread): (u64, u64), keep: usize, delivery: Delivery) -> Outcome {
    let mut total = Outcome::default();
    let (mut with_conflicts, mut with_deletes) = (0, 0);
    for seed in first_seed..first_seed + histories {
        let steps = min_steps + Rng(seed ^ 0x5eed).below(spread);
        let o = history(seed, steps, keep, delivery).unwrap_or_else(|e| panic!("{e}"));
        total.folded += (o.folded > 0) as usize;
        total.messages += o.messages;
        total.applied_commands += o.applied_commands;
        total.refused_commands += o.refused_commands;
        total.photos += o.photos;
        with_conflicts += (o.conflicts > 0) as usize;
        with_deletes += (o.deleted > 0) as usize;
    }
    // Concurrent edits, deletes, and both outcomes of order commands, or the test proves nothing.
    let h = histories as usize;
    eprintln!(
        "{h} histories: {} messages, {with_conflicts} with conflicts, {with_deletes} with a record gone, {} commands applied, {} refused, {} with a photo",
        total.messages, total.applied_commands, total.refused_commands, total.photos
    );
    assert!(with_conflicts > h / 10, "only {with_conflicts} of {h} histories ended with a conflict");
    assert!(with_deletes > h / 10, "only {with_deletes} of {h} histories ended with a record gone");
    assert!(
        total.applied_commands > h / 2 && total.refused_commands > h / 8,
        "commands too few: {} applied, {} refused",
        total.applied_commands,
        total.refused_commands
    );
    total
}

#[test]
fn ten_thousand_short_random_histories_converge() {
    // In any order at all: short histories never reach the fold's bound.
    let total = run_keeping(0, 10_000, (6, 14), CONFLICTS_PER_FIELD_MAX, Delivery::Any);
    assert!(total.messages > 50_000);
}

#[test]
fn long_random_histories_of_hundreds_of_messages_converge() {
    // Long histories pile up more than 8 concurrent values of a field, and the fold then needs
    // what the protocol gives it: every write reaches the depot after the writes its base names
    // (a phone names only stamps it pulled, or its own earlier writes, pushed in counter order).
    // In any order at all they diverge (seed 1000010 did); without the fold they converge in
    // any order too.
    let histories = 1_000;
    let total = run_keeping(1_000_000, histories, (320, 160), CONFLICTS_PER_FIELD_MAX, Delivery::Causal);
    let per_history = total.messages / histories as usize;
    assert!(per_history > 200, "{per_history} messages per history");
    // Quality checks with their photos, settled on the phone exactly as decided at the depot.
    assert!(total.photos >= 5, "only {} quality checks with a photo", total.photos);
}

/// The fold, made to work hard: each field keeps the value of only one conflict; writes arrive
/// after the writes their bases name (as through the depot) but otherwise in any order,
/// repeated. Every replica folds the same conflicts away. (In any order at all, a write that
/// arrives before the one its base names can leave one replica with a value another folded.)
#[test]
fn histories_folding_past_one_conflict_converge() {
    let total = run_keeping(2_000_000, 5_000, (6, 40), 1, Delivery::Causal);
    assert!(total.folded > 500, "only {} of 5000 histories ended with a conflict folded away", total.folded);
}

#[test]
fn a_timestamp_sorts_the_same_in_text_and_in_the_merge() {
    // DocState keys conflicts by Timestamp; the server stores them as text. Both orders agree.
    let a = Timestamp { wall_ms: 5, counter: 1, node: 2 };
    let b = Timestamp { wall_ms: 5, counter: 2, node: 1 };
    assert!(a < b && a.to_string() < b.to_string());
}

/// The oracle's "gone" is the protocol's: a later edit of another field leaves a record gone.
#[test]
fn an_edit_after_a_delete_does_not_bring_the_record_back() {
    let t = |ms| Timestamp { wall_ms: ms, counter: 0, node: 1 };
    let mut d = DocState::default();
    d.apply("title", FieldWrite::new(json!("a"), t(1), vec![])).unwrap();
    d.apply(DRAFT_DELETED, FieldWrite::new(json!(true), t(2), vec![])).unwrap();
    d.apply("title", FieldWrite::new(json!("b"), t(3), vec![t(1)])).unwrap();
    assert_eq!(d.value(DRAFT_DELETED), Some(&Value::Bool(true)));
    assert_eq!(d.value("title"), Some(&json!("b")));
}
