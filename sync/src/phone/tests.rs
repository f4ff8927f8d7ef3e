//! The phone's steps against an in-memory depot that runs the depot's own steps
//! ([`crate::depot`]): two peers in a loop, no network, with the network's faults played by
//! the test (lost, duplicated and reordered replies, a batch the depot cannot read).

use super::*;
use crate::access::Role;
use crate::depot::{check_push, decide, scope_change, viewers, AccountFacts, Caller, DepotFacts, Refusal, StoredRecord};
use crate::testing::SeededRng;
use crate::wire::{Change, Kind, LedgerEntry, MutationResult, RejectCode, RejectionBody, ScopeExit};
use serde_json::{json, Value};

const DEPOT_NOW: u64 = 1_800_000_000_000;

/// The depot, in memory: records, accounts, the per-device counter and stored answers.
#[derive(Default)]
struct MemDepot {
    records: BTreeMap<(Kind, String), StoredRecord>,
    accounts: BTreeMap<String, AccountFacts>,
    last_counter: BTreeMap<String, u64>,
    answers: BTreeMap<(String, u64), MutationResult>,
    seq: u64,
    /// Counters the depot "cannot read": a batch holding one is refused whole.
    unreadable: BTreeSet<u64>,
    /// Requests received (to count round trips).
    requests: usize,
    /// Scope exits: (seq, account, kind, id).
    exits: Vec<(u64, String, Kind, String)>,
}

impl DepotFacts for MemDepot {
    type Error = String;
    fn record(&self, kind: Kind, id: &str) -> Result<Option<StoredRecord>, String> {
        Ok(self.records.get(&(kind, id.to_string())).cloned())
    }
    fn account(&self, id: &str) -> Result<Option<AccountFacts>, String> {
        Ok(self.accounts.get(id).cloned())
    }
}

impl MemDepot {
    fn put(&mut self, kind: Kind, id: &str, owner: Option<String>, body: Value, state: Option<Value>, last: Option<&str>) {
        self.seq += 1;
        let r = StoredRecord { owner, body, state, seq: self.seq, last_device: last.map(str::to_string) };
        self.records.insert((kind, id.to_string()), r);
    }

    fn push(&mut self, caller: &Caller, req: &PushRequest) -> PushAnswer {
        self.requests += 1;
        if let Err(e) = check_push(req, &req.device_id) {
            return PushAnswer::RefusedWhole { code: "malformed".into(), detail: e.to_string() };
        }
        if req.mutations.iter().any(|m| self.unreadable.contains(&m.counter)) {
            return PushAnswer::RefusedWhole { code: "malformed".into(), detail: "unreadable body".into() };
        }
        let device = req.device_id.clone();
        let mut results = vec![];
        for m in &req.mutations {
            let last = self.last_counter.get(&device).copied().unwrap_or(0);
            if m.counter <= last {
                results.push(crate::depot::replay_answer(m.counter, self.answers.get(&(device.clone(), m.counter)).cloned()));
                continue;
            }
            let result = match decide(self, caller, &device, req.cursor, m, DEPOT_NOW) {
                Ok(Some(d)) => {
                    let last = d.echo_to_sender.then_some(device.as_str());
                    self.put(d.kind, &d.id, d.owner, d.body, d.state, last);
                    MutationResult { counter: m.counter, rejected: None }
                }
                Ok(None) => MutationResult { counter: m.counter, rejected: None },
                Err(Refusal::Refused(r)) => {
                    let body = RejectionBody {
                        device_id: device.clone(),
                        counter: m.counter,
                        kind: m.kind.clone(),
                        record_id: m.id.clone(),
                        rejection: r.clone(),
                        summary: m.summary(),
                    };
                    let id = format!("{device}:{}", m.counter);
                    self.put(
                        Kind::Rejection,
                        &id,
                        Some(caller.account_id.clone()),
                        serde_json::to_value(body).unwrap(),
                        None,
                        None,
                    );
                    MutationResult { counter: m.counter, rejected: Some(r) }
                }
                Err(Refusal::Failed(e)) => panic!("depot failure: {e}"),
            };
            self.answers.insert((device.clone(), m.counter), result.clone());
            self.last_counter.insert(device.clone(), m.counter);
            results.push(result);
        }
        PushAnswer::Answered(PushResponse {
            protocol: PROTOCOL_VERSION,
            results,
            server_time: server_time(),
            extra: Extra::new(),
        })
    }

    /// Everything after `cursor` the caller owns, and the caller's scope exits, in one seq
    /// order, `limit` at a time.
    fn pull(&self, caller: &Caller, q: &PullQuery) -> PullResponse {
        // (seq, Ok(change) | Err(exit))
        let mut rows: Vec<(u64, Result<Change, ScopeExit>)> = self
            .records
            .iter()
            .filter(|(_, r)| r.seq > q.cursor && (caller.role != Role::Artisan || r.owner.as_deref() == Some(&caller.account_id)))
            .map(|((k, id), r)| (r.seq, Ok(Change { kind: k.code().into(), id: id.clone(), body: r.body.clone() })))
            .collect();
        rows.extend(
            self.exits
                .iter()
                .filter(|(seq, to, _, _)| *seq > q.cursor && *to == caller.account_id)
                .map(|(seq, _, k, id)| (*seq, Err(ScopeExit { kind: k.code().into(), id: id.clone(), extra: Extra::new() }))),
        );
        rows.sort_by_key(|(seq, _)| *seq);
        let more = rows.len() > q.limit;
        rows.truncate(q.limit);
        let cursor = if more { rows.last().map_or(q.cursor, |(seq, _)| *seq) } else { self.seq.max(q.cursor) };
        let (mut changes, mut exits) = (vec![], vec![]);
        for (_, row) in rows {
            match row {
                Ok(c) => changes.push(c),
                Err(e) => exits.push(e),
            }
        }
        PullResponse { protocol: PROTOCOL_VERSION, changes, exits, cursor, more, server_time: server_time(), extra: Extra::new() }
    }

    /// Give a record to another artisan, as the depot's store does: an exit for every account
    /// that loses it, then the record at the feed's head.
    fn reassign(&mut self, kind: Kind, id: &str, to: &str) {
        let old = self.records[&(kind, id.to_string())].clone();
        let before = viewers(self, old.owner.as_deref()).unwrap();
        let change = scope_change(&before, &viewers(self, Some(to)).unwrap());
        for account in change.lost {
            self.seq += 1;
            self.exits.push((self.seq, account, kind, id.to_string()));
        }
        let mut body = old.body;
        body["artisan_id"] = json!(to);
        body["version"] = json!(self.seq);
        self.put(kind, id, Some(to.to_string()), body, None, None);
    }
}

fn server_time() -> Timestamp {
    Timestamp { wall_ms: DEPOT_NOW, counter: 0, node: 9 }
}

fn ts(ms: u64, node: u64) -> Timestamp {
    Timestamp { wall_ms: ms, counter: 0, node }
}

const ARTISAN: &str = "a0000000-0000-7000-8000-000000000001";
const OTHER: &str = "a0000000-0000-7000-8000-000000000002";
const DEVICE: &str = "d0000000-0000-4000-8000-000000000001";

fn draft_id(n: u64) -> String {
    format!("01900000-0000-7000-8000-{n:012}")
}

fn artisan() -> Caller {
    Caller { account_id: ARTISAN.into(), role: Role::Artisan }
}

fn depot() -> MemDepot {
    let mut d = MemDepot::default();
    d.accounts.insert(ARTISAN.into(), AccountFacts { role: Role::Artisan, mentor_id: None });
    d.accounts.insert(OTHER.into(), AccountFacts { role: Role::Artisan, mentor_id: None });
    d
}

/// A write of `field` of draft `n`, counter `counter`, stamped at `ms`.
fn write(counter: u64, n: u64, field: &str, value: Value, ms: u64) -> Mutation {
    let mut fields = BTreeMap::new();
    fields.insert(field.to_string(), FieldWrite::new(value, ts(ms, 1), vec![]));
    Mutation {
        counter,
        kind: "draft".into(),
        id: draft_id(n),
        fields: Some(fields),
        command: None,
        entry: None,
        extra: Extra::new(),
    }
}

fn titles(count: u64) -> Vec<Mutation> {
    (1..=count).map(|c| write(c, c, "title", json!(format!("Kikapu {c}")), DEPOT_NOW - 1000 + c)).collect()
}

/// Run a whole push round against the depot over a perfect network; every fold returned.
fn run(round: &mut PushRound, depot: &mut MemDepot, caller: &Caller) -> Vec<Settled> {
    let mut out = vec![];
    while let Some(req) = round.next_request() {
        let answer = depot.push(caller, &req);
        out.extend(round.receive(answer).unwrap().settled);
    }
    out
}

fn applied(settled: &[Settled]) -> Vec<u64> {
    settled.iter().filter(|s| matches!(s, Settled::Applied { .. })).map(Settled::counter).collect()
}

fn refused(settled: &[Settled]) -> Vec<u64> {
    settled.iter().filter(|s| matches!(s, Settled::Refused { .. })).map(Settled::counter).collect()
}

#[test]
fn an_empty_outbox_makes_no_request() {
    let mut round = PushRound::new(DEVICE, 0, vec![]);
    assert!(round.is_done());
    assert_eq!(round.next_request(), None);
}

#[test]
fn a_batch_applied_leaves_the_outbox_and_the_round_ends() {
    let (mut depot, caller) = (depot(), artisan());
    let mut round = PushRound::new(DEVICE, 0, titles(5));
    let settled = run(&mut round, &mut depot, &caller);
    assert_eq!(applied(&settled), vec![1, 2, 3, 4, 5]);
    assert!(round.is_done());
    assert_eq!(depot.requests, 1);
    assert_eq!(depot.records.len(), 5);
}

#[test]
fn the_cursor_rides_in_the_request_as_a_field() {
    let mut round = PushRound::new(DEVICE, 42, titles(1));
    let req = round.next_request().unwrap();
    assert_eq!(req.cursor, 42);
    assert!(req.extra.is_empty());
    let json = serde_json::to_value(&req).unwrap();
    assert_eq!(json["cursor"], 42);
}

#[test]
fn reordered_answers_are_matched_by_counter() {
    let (mut depot, caller) = (depot(), artisan());
    let mut batch = titles(3);
    batch[1] = write(2, 1, "price", json!(5), DEPOT_NOW); // a price below the minimum: refused
    let mut round = PushRound::new(DEVICE, 0, batch);
    let req = round.next_request().unwrap();
    let PushAnswer::Answered(mut resp) = depot.push(&caller, &req) else { panic!("answered") };
    resp.results.reverse();
    let folded = round.receive(PushAnswer::Answered(resp)).unwrap();
    assert_eq!(applied(&folded.settled), vec![1, 3]);
    assert_eq!(refused(&folded.settled), vec![2]);
}

#[test]
fn a_duplicated_answer_for_one_counter_counts_once() {
    let (mut depot, caller) = (depot(), artisan());
    let mut round = PushRound::new(DEVICE, 0, titles(2));
    let req = round.next_request().unwrap();
    let PushAnswer::Answered(mut resp) = depot.push(&caller, &req) else { panic!("answered") };
    let dup = resp.results[0].clone();
    resp.results.push(dup);
    let folded = round.receive(PushAnswer::Answered(resp)).unwrap();
    assert_eq!(folded.settled.len(), 2);
    assert_eq!(applied(&folded.settled), vec![1, 2]);
}

#[test]
fn an_answer_naming_a_counter_not_sent_is_refused_and_changes_nothing() {
    let (mut depot, caller) = (depot(), artisan());
    let mut round = PushRound::new(DEVICE, 0, titles(2));
    let req = round.next_request().unwrap();
    let PushAnswer::Answered(good) = depot.push(&caller, &req) else { panic!("answered") };
    let mut bad = good.clone();
    bad.results[1].counter = 99;
    assert_eq!(round.receive(PushAnswer::Answered(bad)), Err(FoldError::UnknownCounter(99)));
    // The request is still in flight: the good answer is still accepted.
    assert_eq!(applied(&round.receive(PushAnswer::Answered(good)).unwrap().settled), vec![1, 2]);
}

#[test]
fn an_answer_with_nothing_in_flight_is_refused() {
    let mut round = PushRound::new(DEVICE, 0, titles(1));
    let resp = PushResponse { protocol: 1, results: vec![], server_time: server_time(), extra: Extra::new() };
    assert_eq!(round.receive(PushAnswer::Answered(resp.clone())), Err(FoldError::NothingInFlight));
    round.next_request().unwrap();
    round.receive(PushAnswer::Answered(resp.clone())).unwrap();
    // The same reply delivered twice: the second finds nothing in flight.
    assert_eq!(round.receive(PushAnswer::Answered(resp)), Err(FoldError::NothingInFlight));
}

#[test]
fn missing_answers_leave_those_mutations_pending() {
    let (mut depot, caller) = (depot(), artisan());
    let mut round = PushRound::new(DEVICE, 0, titles(3));
    let req = round.next_request().unwrap();
    let PushAnswer::Answered(mut resp) = depot.push(&caller, &req) else { panic!("answered") };
    resp.results.truncate(1);
    let folded = round.receive(PushAnswer::Answered(resp)).unwrap();
    assert_eq!(applied(&folded.settled), vec![1]);
    assert_eq!(folded.unanswered, vec![2, 3]);
    assert!(round.is_done());
}

#[test]
fn a_lost_reply_is_resent_and_applied_exactly_once() {
    let (mut depot, caller) = (depot(), artisan());
    let mut round = PushRound::new(DEVICE, 0, titles(3));
    let first = round.next_request().unwrap();
    let _lost = depot.push(&caller, &first); // applied at the depot, reply lost on the way
    let seq_after_first = depot.seq;
    let again = round.next_request().unwrap();
    assert_eq!(again, first, "the same request goes again");
    let folded = round.receive(depot.push(&caller, &again)).unwrap();
    assert_eq!(applied(&folded.settled), vec![1, 2, 3]);
    assert_eq!(depot.seq, seq_after_first, "the replay changed nothing at the depot");
}

#[test]
fn a_replay_after_the_phone_restarted_gets_the_stored_refusal() {
    let (mut depot, caller) = (depot(), artisan());
    let batch = vec![write(1, 1, "price", json!(5), DEPOT_NOW)];
    let mut round = PushRound::new(DEVICE, 0, batch.clone());
    let first = run(&mut round, &mut depot, &caller);
    // The phone was killed before it stored the answer: a new round sends it again.
    let mut again = PushRound::new(DEVICE, 0, batch);
    let second = run(&mut again, &mut depot, &caller);
    assert_eq!(first, second);
    assert_eq!(refused(&second), vec![1]);
}

#[test]
fn a_refused_mutation_mid_batch_never_blocks_the_rest() {
    let (mut depot, caller) = (depot(), artisan());
    let mut batch = titles(5);
    batch[2] = write(3, 3, "status", json!("approved"), DEPOT_NOW); // a reserved field
    let mut round = PushRound::new(DEVICE, 0, batch);
    let settled = run(&mut round, &mut depot, &caller);
    assert_eq!(applied(&settled), vec![1, 2, 4, 5]);
    match &settled[2] {
        Settled::Refused { counter: 3, rejection: Some(r), .. } => assert_eq!(r.code, RejectCode::Invalid),
        other => panic!("expected a refusal of 3, got {other:?}"),
    }
    assert!(depot.records.contains_key(&(Kind::Rejection, format!("{DEVICE}:3"))), "the refusal is in the feed");
}

#[test]
fn a_single_mutation_refused_whole_is_parked_with_the_reason() {
    let mut round = PushRound::new(DEVICE, 0, titles(1));
    round.next_request().unwrap();
    let folded = round.receive(PushAnswer::RefusedWhole { code: "too_large".into(), detail: "2 MiB".into() }).unwrap();
    assert_eq!(folded.settled, vec![Settled::Refused { counter: 1, reason: "too_large: 2 MiB".into(), rejection: None }]);
    assert!(round.is_done());
}

#[test]
fn bisection_finds_the_one_unreadable_mutation() {
    let (mut depot, caller) = (depot(), artisan());
    depot.unreadable.insert(6);
    let mut round = PushRound::new(DEVICE, 0, titles(8));
    let settled = run(&mut round, &mut depot, &caller);
    assert_eq!(refused(&settled), vec![6]);
    assert_eq!(applied(&settled), vec![1, 2, 3, 4, 5, 7, 8]);
    // 8 -> 4+4 -> (2+2) -> (1+1): whole, two halves, two quarters, two singles = 7 requests.
    assert_eq!(depot.requests, 7);
}

#[test]
fn bisection_finds_two_unreadable_mutations_in_counter_order() {
    let (mut depot, caller) = (depot(), artisan());
    depot.unreadable.extend([2, 7]);
    let mut round = PushRound::new(DEVICE, 0, titles(9));
    let settled = run(&mut round, &mut depot, &caller);
    assert_eq!(refused(&settled), vec![2, 7]);
    assert_eq!(applied(&settled).len(), 7);
    let order: Vec<u64> = settled.iter().map(Settled::counter).collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted, "settled in counter order");
}

#[test]
fn the_depot_clock_comes_back_with_every_answer() {
    let (mut depot, caller) = (depot(), artisan());
    let mut round = PushRound::new(DEVICE, 0, titles(1));
    let req = round.next_request().unwrap();
    let folded = round.receive(depot.push(&caller, &req)).unwrap();
    assert_eq!(folded.server_time, Some(server_time()));
}

#[test]
fn a_stamp_too_far_ahead_is_refused_for_the_clock() {
    let (mut depot, caller) = (depot(), artisan());
    let batch = vec![
        write(1, 1, "title", json!("a"), DEPOT_NOW + CLOCK_AHEAD_MAX_MS + 1),
        write(2, 2, "title", json!("b"), DEPOT_NOW + CLOCK_AHEAD_MAX_MS),
    ];
    let mut round = PushRound::new(DEVICE, 0, batch);
    let settled = run(&mut round, &mut depot, &caller);
    match &settled[0] {
        Settled::Refused { rejection: Some(r), .. } => assert_eq!(r.code, RejectCode::ClockAhead),
        other => panic!("{other:?}"),
    }
    assert_eq!(applied(&settled), vec![2], "exactly at the bound is accepted");
}

fn page(cursor: u64, more: bool, n: usize) -> PullResponse {
    let changes = (0..n).map(|i| Change { kind: "draft".into(), id: format!("{i}"), body: json!({}) }).collect();
    PullResponse { protocol: 1, changes, exits: vec![], cursor, more, server_time: server_time(), extra: Extra::new() }
}

#[test]
fn pulling_pages_until_the_feed_is_drained() {
    let (mut depot, caller) = (depot(), artisan());
    // Push in protocol-sized batches, as the engine does.
    let mut all = titles(1200);
    while !all.is_empty() {
        let rest = all.split_off(all.len().min(crate::limits::PUSH_BATCH_MAX));
        run(&mut PushRound::new(DEVICE, 0, all), &mut depot, &caller);
        all = rest;
    }
    let mut pull = PullRound::new(0);
    let mut seen = 0;
    let mut pages = 0;
    while let Some(q) = pull.next_query() {
        let p = depot.pull(&caller, &q);
        seen += p.changes.len();
        pages += 1;
        pull.receive(&p).unwrap();
    }
    assert_eq!(seen, 1200);
    assert_eq!(pages, 3);
    assert_eq!(pull.cursor(), depot.seq);
}

#[test]
fn a_pull_cursor_that_goes_back_is_refused() {
    let mut pull = PullRound::new(10);
    assert_eq!(pull.receive(&page(9, false, 0)), Err(FoldError::CursorWentBack { from: 10, to: 9 }));
    assert_eq!(pull.cursor(), 10);
    assert_eq!(pull.receive(&page(10, false, 0)), Ok(10), "an empty page at the same cursor is fine");
    assert_eq!(pull.next_query(), None);
}

#[test]
fn an_oversized_pull_page_is_refused() {
    let mut pull = PullRound::new(0);
    assert_eq!(pull.receive(&page(5, true, PULL_PAGE_MAX + 1)), Err(FoldError::PageTooLarge(PULL_PAGE_MAX + 1)));
    assert!(pull.next_query().is_some());
}

#[test]
fn stopping_a_pull_ends_it() {
    let mut pull = PullRound::new(3);
    assert_eq!(pull.next_query().unwrap().path(), format!("/v1/sync/pull?cursor=3&limit={PULL_PAGE_ASKED}&protocol=1"));
    pull.stop();
    assert_eq!(pull.next_query(), None);
}

#[test]
fn an_expired_cursor_restarts_the_round_from_zero_in_full_once() {
    let mut pull = PullRound::new(40);
    assert!(!pull.next_query().unwrap().full);
    pull.restart_full().unwrap();
    let q = pull.next_query().unwrap();
    assert_eq!((q.cursor, q.full), (0, true));
    assert_eq!(q.path(), format!("/v1/sync/pull?cursor=0&limit={PULL_PAGE_ASKED}&protocol=1&full=1"));
    assert_eq!(pull.restart_full(), Err(FoldError::ExpiredAgain), "a second expiry in one sync is an error, not a loop");
    // A resumed full round (marks left by an interrupted one) may start over once.
    let mut resumed = PullRound::full(17);
    assert!(resumed.next_query().unwrap().full);
    assert_eq!(resumed.restart_full(), Ok(()));
    assert_eq!(resumed.cursor(), 0);
}

#[test]
fn a_full_round_sweeps_with_its_last_page_and_a_normal_round_never() {
    let mut full = PullRound::full(0);
    full.receive(&page(5, true, 3)).unwrap();
    assert!(!full.sweep_due(), "not before the feed is drained");
    full.receive(&page(9, false, 3)).unwrap();
    assert!(full.sweep_due());
    let mut normal = PullRound::new(0);
    normal.receive(&page(9, false, 3)).unwrap();
    assert!(!normal.sweep_due());
}

#[test]
fn a_pages_exits_count_against_its_size_limit() {
    let mut p = page(5, true, PULL_PAGE_MAX);
    p.exits.push(ScopeExit { kind: "order".into(), id: draft_id(1), extra: Extra::new() });
    assert_eq!(PullRound::new(0).receive(&p), Err(FoldError::PageTooLarge(PULL_PAGE_MAX + 1)));
}

#[test]
fn a_leaving_record_goes_unless_a_full_resync_finds_unsynced_work_on_it() {
    use LeaveAction::*;
    for items in [false, true] {
        assert_eq!(leave_action(Leaving::ScopeExit, items), Remove, "the depot's word on that very record");
        assert_eq!(leave_action(Leaving::Gone, items), Remove);
    }
    assert_eq!(leave_action(Leaving::MissingFromFullFeed, false), Remove);
    assert_eq!(leave_action(Leaving::MissingFromFullFeed, true), KeepUnsynced);
    assert!(Leaving::Gone.reason().starts_with("gone:"));
    assert!(Leaving::ScopeExit.reason().starts_with("left_scope:"));
}

/// Orders handed around three artisans (two mentored by one mentor) while their phones pull
/// at random moments with tiny pages: applying each page's exits before its changes, every
/// phone ends holding exactly the records in its scope, each at its latest state.
#[test]
fn phones_applying_exits_before_changes_end_with_exactly_their_scope() {
    const A: &str = "a0000000-0000-7000-8000-00000000000a";
    const B: &str = "a0000000-0000-7000-8000-00000000000b";
    const C: &str = "a0000000-0000-7000-8000-00000000000c";
    const M: &str = "a0000000-0000-7000-8000-00000000000d";
    for seed in 0..200 {
        let mut rng = SeededRng(seed);
        let mut depot = MemDepot::default();
        for (id, mentor) in [(A, Some(M)), (B, Some(M)), (C, None)] {
            depot.accounts.insert(id.into(), AccountFacts { role: Role::Artisan, mentor_id: mentor.map(String::from) });
        }
        let artisans = [A, B, C];
        let orders: Vec<String> = (1..=4).map(draft_id).collect();
        for o in &orders {
            let owner = artisans[rng.below(3) as usize];
            depot.put(Kind::Order, o, Some(owner.into()), json!({"artisan_id": owner}), None, None);
        }
        // Each phone: its cursor and what it holds.
        let mut phones: BTreeMap<&str, (u64, BTreeMap<String, Value>)> =
            artisans.iter().map(|a| (*a, Default::default())).collect();
        let pull_all = |depot: &MemDepot, rng: &mut SeededRng, who: &str, phone: &mut (u64, BTreeMap<String, Value>)| {
            let caller = Caller { account_id: who.into(), role: Role::Artisan };
            let mut round = PullRound::new(phone.0);
            while let Some(mut q) = round.next_query() {
                q.limit = 1 + rng.below(3) as usize;
                let p = depot.pull(&caller, &q);
                phone.0 = round.receive(&p).unwrap();
                for e in &p.exits {
                    phone.1.remove(&e.id);
                }
                for c in &p.changes {
                    phone.1.insert(c.id.clone(), c.body.clone());
                }
            }
        };
        for _ in 0..30 {
            if rng.chance(50) {
                let o = &orders[rng.below(4) as usize];
                depot.reassign(Kind::Order, o, artisans[rng.below(3) as usize]);
            } else {
                let who = artisans[rng.below(3) as usize];
                pull_all(&depot, &mut rng, who, phones.get_mut(who).unwrap());
            }
        }
        for who in artisans {
            pull_all(&depot, &mut rng, who, phones.get_mut(who).unwrap());
            let scope: BTreeMap<String, Value> = depot
                .records
                .iter()
                .filter(|(_, r)| r.owner.as_deref() == Some(who))
                .map(|((_, id), r)| (id.clone(), r.body.clone()))
                .collect();
            assert_eq!(phones[who].1, scope, "seed {seed}: {who}'s phone");
        }
    }
}

fn fw(v: &str, hlc: Timestamp) -> FieldWrite {
    FieldWrite::new(json!(v), hlc, vec![])
}

#[test]
fn a_pulled_field_the_phone_never_wrote_is_taken() {
    assert_eq!(decide_pulled_field("title", None, &fw("a", ts(5, 1))), PulledField::Take);
}

#[test]
fn a_pulled_newer_field_replaces_the_local_one() {
    assert_eq!(decide_pulled_field("title", Some(&fw("old", ts(4, 1))), &fw("new", ts(5, 2))), PulledField::Take);
}

#[test]
fn a_pending_local_edit_newer_than_the_pulled_value_stays() {
    assert_eq!(decide_pulled_field("title", Some(&fw("mine", ts(6, 1))), &fw("theirs", ts(5, 2))), PulledField::KeepLocal);
}

#[test]
fn a_pulled_field_already_held_is_left_alone() {
    assert_eq!(decide_pulled_field("title", Some(&fw("x", ts(5, 1))), &fw("x", ts(5, 1))), PulledField::AlreadyHeld);
}

#[test]
fn equal_wall_times_are_broken_by_the_node_as_the_depot_does() {
    let local = fw("phone", ts(5, 3));
    let server = fw("depot", ts(5, 2));
    assert_eq!(decide_pulled_field("t", Some(&local), &server), PulledField::KeepLocal);
    let mut depot_doc = DocState::default();
    depot_doc.apply("t", server.clone()).unwrap();
    depot_doc.apply("t", local.clone()).unwrap();
    assert_eq!(depot_doc.stamp("t"), Some(local.hlc), "the depot keeps the same winner");
}

#[test]
fn review_status_follows_the_depot_unless_a_command_is_pending() {
    assert_eq!(pulled_review_status("approved", false), Some(DraftStatus::Approved));
    assert_eq!(pulled_review_status("approved", true), None);
    assert_eq!(pulled_review_status("from_the_future", false), None);
}

#[test]
fn learning_the_clock_gives_the_offset_and_no_rebase_within_the_bound() {
    let server = ts(DEPOT_NOW, 9);
    let lesson = learn_clock(DEPOT_NOW as i64 - 3_000, DEPOT_NOW + CLOCK_AHEAD_MAX_MS, server);
    assert_eq!(lesson.offset_ms, 3_000);
    assert_eq!(lesson.rebase_above, None, "exactly at the bound needs no rebase");
}

#[test]
fn a_clock_beyond_the_bound_asks_for_a_rebase_above_it() {
    let server = ts(DEPOT_NOW, 9);
    let lesson = learn_clock(DEPOT_NOW as i64 + 3_600_000, DEPOT_NOW + CLOCK_AHEAD_MAX_MS + 1, server);
    assert_eq!(lesson.offset_ms, -3_600_000);
    let above = lesson.rebase_above.unwrap();
    assert_eq!(above.wall_ms, DEPOT_NOW + CLOCK_AHEAD_MAX_MS);
    assert!(ts(DEPOT_NOW + CLOCK_AHEAD_MAX_MS, 1) <= above && ts(DEPOT_NOW + CLOCK_AHEAD_MAX_MS + 1, 0) > above);
}

#[test]
fn rebased_stamps_keep_their_order_and_land_within_the_bound() {
    let server = ts(DEPOT_NOW, 9);
    let olds = vec![ts(DEPOT_NOW + 9_000_000, 1), ts(DEPOT_NOW + 7_000_000, 1), ts(DEPOT_NOW + 8_000_000, 1)];
    let (map, clock) = rebase_map(olds.clone(), server, 1, DEPOT_NOW).unwrap();
    let mut sorted = olds.clone();
    sorted.sort();
    let news: Vec<Timestamp> = sorted.iter().map(|o| map[o]).collect();
    assert!(news.windows(2).all(|w| w[0] < w[1]), "order kept: {news:?}");
    assert!(news.iter().all(|n| *n > server && n.wall_ms <= DEPOT_NOW + CLOCK_AHEAD_MAX_MS));
    assert_eq!(clock.current(), *news.last().unwrap());
}

#[test]
fn restamping_rewrites_stamps_and_drops_bases_no_longer_older() {
    let (old, base, new) = (ts(DEPOT_NOW + 9_000_000, 1), ts(DEPOT_NOW + 8_000_000, 1), ts(DEPOT_NOW + 1, 1));
    let mut m = write(1, 1, "title", json!("x"), 0);
    m.fields.as_mut().unwrap().get_mut("title").unwrap().hlc = old;
    m.fields.as_mut().unwrap().get_mut("title").unwrap().base = vec![base, ts(5, 1)];
    let map: BTreeMap<_, _> = [(old, new)].into_iter().collect();
    let out = restamp(m, &map);
    let w = &out.fields.unwrap()["title"];
    assert_eq!(w.hlc, new);
    assert_eq!(w.base, vec![ts(5, 1)], "a base left in the future is dropped, an old one kept");
}

#[test]
fn the_credential_is_renewed_in_its_last_week() {
    let now = 1_000_000_000_000;
    assert!(!needs_new_token(now + TOKEN_RENEW_BEFORE_MS, now));
    assert!(needs_new_token(now + TOKEN_RENEW_BEFORE_MS - 1, now));
    assert!(needs_new_token(now - 1, now), "an expired one too");
}

fn order(status: &str) -> OrderBody {
    OrderBody {
        status: status.into(),
        artisan_id: Some(ARTISAN.into()),
        product: "Kiondo".into(),
        product_id: None,
        quantity: 2,
        price_minor: 100_000,
        source: "shop".into(),
        external_ref: "S-1".into(),
        updated_hlc: ts(1, 9),
        note: None,
        due_date: None,
        history: vec![],
        history_dropped: 0,
        extra: Extra::new(),
    }
}

#[test]
fn an_acknowledged_order_command_moves_the_local_copy_by_the_same_table() {
    let mut o = order("assigned");
    let accept = CommandBody::new("accept", ts(7, 1), Extra::new());
    assert!(settle_order(&mut o, &accept));
    assert_eq!((o.status.as_str(), o.updated_hlc), ("accepted", ts(7, 1)));
    let ship = CommandBody::new("ship", ts(8, 1), Extra::new());
    assert!(!settle_order(&mut o, &ship), "not allowed from accepted: unchanged");
    assert_eq!(o.status, "accepted");
}

#[test]
fn an_acknowledged_review_moves_a_reviewed_draft() {
    let mut body = json!({"owner": OTHER, "status": "submitted", "doc": {"fields": {}}});
    let mut fields = BTreeMap::new();
    fields.insert("review_note".to_string(), fw("Nzuri", ts(3, 2)));
    let approve = CommandBody::new("approve", ts(4, 2), Extra::new());
    settle_document(&mut body, Some(&fields), Some(&approve)).unwrap();
    assert_eq!(body["status"], "approved");
    assert_eq!(body["doc"]["fields"]["review_note"]["value"], "Nzuri");
    // An edit that replaces the note leaves the copy in the form the depot sends: no replaced stamps.
    let mut edit = BTreeMap::new();
    edit.insert("review_note".to_string(), FieldWrite { base: vec![ts(3, 2)], ..fw("Nzuri sana", ts(5, 2)) });
    settle_document(&mut body, Some(&edit), None).unwrap();
    assert_eq!(body["doc"]["fields"]["review_note"]["value"], "Nzuri sana");
    assert!(body["doc"].get("replaced").is_none(), "{body}");
}

#[test]
fn two_phones_editing_one_field_converge_and_keep_the_loser() {
    let mut depot = depot();
    let caller = artisan();
    let (phone_a, phone_b) = ("d0000000-0000-4000-8000-00000000000a", "d0000000-0000-4000-8000-00000000000b");
    // Phone A creates the draft; phone B pulls it.
    let create = write(1, 1, "title", json!("Kikapu"), DEPOT_NOW - 100);
    run(&mut PushRound::new(phone_a, 0, vec![create.clone()]), &mut depot, &caller);
    let base = create.fields.as_ref().unwrap()["title"].hlc;
    // Both edit the title offline, knowing the same base.
    let edit = |counter, value: &str, ms, node| {
        let mut m = write(counter, 1, "title", json!(value), ms);
        let w = m.fields.as_mut().unwrap().get_mut("title").unwrap();
        w.hlc = ts(ms, node);
        w.base = vec![base];
        m
    };
    let from_a = edit(2, "Kikapu kubwa", DEPOT_NOW - 50, 1);
    let from_b = edit(1, "Kikapu cha sisal", DEPOT_NOW - 40, 2);
    run(&mut PushRound::new(phone_b, 0, vec![from_b.clone()]), &mut depot, &caller);
    run(&mut PushRound::new(phone_a, 1, vec![from_a.clone()]), &mut depot, &caller);
    let stored = &depot.records[&(Kind::Draft, draft_id(1))].body;
    assert_eq!(stored["doc"]["fields"]["title"]["value"], "Kikapu cha sisal", "the greater stamp wins");
    assert_eq!(stored["doc"]["conflicts"]["title"].as_object().unwrap().len(), 1, "the loser is kept");
    // Phone A pulls: the depot's newer value replaces its own.
    let mut pull = PullRound::new(1);
    let q = pull.next_query().unwrap();
    let p = depot.pull(&caller, &q);
    pull.receive(&p).unwrap();
    let change = p.changes.iter().find(|c| c.kind == "draft").expect("the merged draft comes back to A");
    let server: FieldWrite = serde_json::from_value(change.body["doc"]["fields"]["title"].clone()).unwrap();
    let local = &from_a.fields.as_ref().unwrap()["title"];
    assert_eq!(decide_pulled_field("title", Some(local), &server), PulledField::Take);
}

#[test]
fn a_whole_batch_delivered_twice_applies_once() {
    let (mut depot, caller) = (depot(), artisan());
    let entries: Vec<Mutation> = titles(4);
    let mut round = PushRound::new(DEVICE, 0, entries.clone());
    run(&mut round, &mut depot, &caller);
    let snapshot = (depot.seq, depot.records.len());
    let mut again = PushRound::new(DEVICE, 0, entries);
    let settled = run(&mut again, &mut depot, &caller);
    assert_eq!(applied(&settled), vec![1, 2, 3, 4]);
    assert_eq!((depot.seq, depot.records.len()), snapshot);
}

#[test]
fn a_stock_entry_for_a_draft_the_depot_lacks_is_refused_not_found() {
    let mut depot = depot();
    let staff = Caller { account_id: OTHER.into(), role: Role::Staff };
    let entry = LedgerEntry {
        id: draft_id(77),
        product_id: draft_id(1),
        delta: 3,
        reason: "received".into(),
        hlc: ts(DEPOT_NOW, 3),
        extra: Extra::new(),
    };
    let m = Mutation {
        counter: 1,
        kind: "stock".into(),
        id: entry.id.clone(),
        fields: None,
        command: None,
        entry: Some(entry),
        extra: Extra::new(),
    };
    let settled = run(&mut PushRound::new(DEVICE, 0, vec![m]), &mut depot, &staff);
    match &settled[0] {
        Settled::Refused { rejection: Some(r), .. } => assert_eq!(r.code, RejectCode::NotFound),
        other => panic!("{other:?}"),
    }
}
