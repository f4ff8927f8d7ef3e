//! The depot's side of the protocol as pure steps: check a push batch as a whole, then decide
//! each mutation against the record as the depot holds it now. The depot's store is an adapter
//! around these steps: it looks records and accounts up (through [`DepotFacts`]), runs
//! [`decide`], and writes the [`Decision`] with the answer and the device's counter in one
//! transaction. Nothing here reads a clock, a file or a socket: the depot's wall clock comes in
//! as an argument, so tests run every rule in memory (see `tests` and `phone::tests`).
//!
//! Scope (ADR 0012): [`viewers`] says which accounts see a record because of who owns it, and
//! [`scope_change`] who stops and who starts seeing it when that changes; [`is_tombstone`]
//! says which records the depot may prune after its retention horizon.

use crate::access::{may_append_stock, may_read, may_write_field, Relation, Role};
use crate::document::{DocState, FieldOutcome};
use crate::fields::{check_draft_field, check_profile_field};
use crate::hlc::Timestamp;
use crate::ids;
use crate::limits::{
    BASE_STAMPS_MAX, CLOCK_AHEAD_MAX_MS, COUNTER_MAX, DOCUMENT_MAX_BYTES, FIELDS_PER_DOCUMENT_MAX, PUSH_BATCH_MAX,
};
use crate::wire::{
    CommandBody, Extra, Kind, LedgerEntry, Mutation, MutationResult, Op, OrderBody, PushRequest, RejectCode, Rejection,
    StockBody, PROTOCOL_VERSION,
};
use crate::workflow::{
    apply_order_command, assigned_artisan, draft_step, order_step, DraftCommand, DraftStatus, OrderCommand, OrderStatus,
};
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// Who is calling, as the depot authenticated them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    pub account_id: String,
    pub role: Role,
}

/// An account as the rules need it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountFacts {
    pub role: Role,
    pub mentor_id: Option<String>,
}

/// A record as the depot holds it.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredRecord {
    pub owner: Option<String>,
    pub body: Value,
    /// The full merge state of a document (with the replaced stamps phones do not need).
    pub state: Option<Value>,
    /// Its place in the change feed.
    pub seq: u64,
    /// The device whose clean change is the record's latest, if any.
    pub last_device: Option<String>,
}

/// What the depot looks up for a decision. Its store implements it over SQL; tests over maps.
pub trait DepotFacts {
    type Error;
    fn record(&self, kind: Kind, id: &str) -> Result<Option<StoredRecord>, Self::Error>;
    fn account(&self, id: &str) -> Result<Option<AccountFacts>, Self::Error>;
    /// Whether the record was deleted and its tombstone pruned (it may never exist again). A
    /// depot that never prunes answers no.
    fn pruned(&self, _kind: Kind, _id: &str) -> Result<bool, Self::Error> {
        Ok(false)
    }
    /// Of these blobs (content hashes), those the depot does not hold whole yet. A depot that
    /// keeps no blobs answers none.
    fn blobs_missing(&self, _hashes: &[String]) -> Result<Vec<String>, Self::Error> {
        Ok(vec![])
    }
    /// Whether the artisan (or mentor) `owner` belongs to the depot of the staff account
    /// `staff` (ADR 0030: staff act on their own depot's records only). A deployment of one
    /// depot answers yes.
    fn same_depot(&self, _staff: &str, _owner: &str) -> Result<bool, Self::Error> {
        Ok(true)
    }
}

/// What to store for an applied mutation: the record's new state, moved to the feed's head.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    pub kind: Kind,
    pub id: String,
    pub owner: Option<String>,
    pub body: Value,
    pub state: Option<Value>,
    /// Mark the record as this device's own clean change (the next pull does not echo it).
    pub echo_to_sender: bool,
}

/// Why a mutation was not applied: refused by the rules (answered, stored, shown as a
/// conflict), or a failure of the depot itself (the whole push fails and is retried).
#[derive(Debug, PartialEq)]
pub enum Refusal<E> {
    Refused(Rejection),
    Failed(E),
}

impl<E> From<Rejection> for Refusal<E> {
    fn from(r: Rejection) -> Self {
        Refusal::Refused(r)
    }
}

/// Why a whole push is refused before any mutation is looked at.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BatchRefusal {
    #[error("protocol {0} (this depot speaks 1..={PROTOCOL_VERSION})")]
    UnsupportedVersion(u32),
    #[error("a device pushes only its own mutations")]
    WrongDevice,
    #[error("at most {PUSH_BATCH_MAX} mutations per push")]
    TooLarge,
    #[error("counters must be positive, increasing and at most {COUNTER_MAX}")]
    BadCounters,
}

/// Check a push as a whole: version, sender, size, counters.
pub fn check_push(req: &PushRequest, device_id: &str) -> Result<(), BatchRefusal> {
    if req.protocol == 0 || req.protocol > PROTOCOL_VERSION {
        return Err(BatchRefusal::UnsupportedVersion(req.protocol));
    }
    if req.device_id != device_id {
        return Err(BatchRefusal::WrongDevice);
    }
    if req.mutations.len() > PUSH_BATCH_MAX {
        return Err(BatchRefusal::TooLarge);
    }
    if req.mutations.windows(2).any(|w| w[0].counter >= w[1].counter)
        || req.mutations.iter().any(|m| m.counter == 0 || m.counter > COUNTER_MAX)
    {
        return Err(BatchRefusal::BadCounters);
    }
    Ok(())
}

/// The answer to a replayed counter (at or below the device's last): the stored one, or, when
/// it was pruned, a typed refusal; never "applied", which the depot cannot know any more.
pub fn replay_answer(counter: u64, stored: Option<MutationResult>) -> MutationResult {
    stored.unwrap_or_else(|| MutationResult {
        counter,
        rejected: Some(Rejection::new(RejectCode::TooOldToReplay, "this change's answer is no longer kept")),
    })
}

/// Whether any stamp of `m` lies further ahead of the depot's wall clock than the bound. The
/// wall clock is the depot machine's own, never the HLC that phones' stamps move forward.
pub fn clock_ahead(m: &Mutation, depot_wall_ms: u64) -> bool {
    let bound = depot_wall_ms.saturating_add(CLOCK_AHEAD_MAX_MS);
    m.stamps().iter().any(|t| t.wall_ms > bound)
}

fn rej(code: RejectCode, detail: &str) -> Rejection {
    Rejection::new(code, detail)
}

fn not_found() -> Rejection {
    rej(RejectCode::NotFound, "no such record")
}

/// The blobs a stored record refers to (content hashes): a draft's photo list, its current
/// value and every value kept as a conflict (a losing list may still be chosen back); a
/// product's approved photos. The depot
/// takes uploads of these bytes and serves them, by who may write or read the record (ADR 0013).
pub fn blob_refs(kind: Kind, body: &Value) -> std::collections::BTreeSet<String> {
    let mut out = std::collections::BTreeSet::new();
    if kind == Kind::Product {
        // A published product's approved photos: kept while it refers to them, whatever later
        // versions of its draft hold (ADR 0025).
        let list = body["photos"].as_array().into_iter().flatten().filter_map(Value::as_str);
        out.extend(list.filter(|h| crate::hash::is_content_hash(h)).map(str::to_string));
        return out;
    }
    if kind != Kind::Draft {
        return out;
    }
    let doc = &body["doc"];
    let field = crate::fields::DRAFT_PHOTOS;
    let current = std::iter::once(&doc["fields"][field]["value"]);
    let losers = doc["conflicts"][field].as_object().into_iter().flat_map(|c| c.values().map(|w| &w["value"]));
    for list in current.chain(losers) {
        for h in list.as_array().into_iter().flatten().filter_map(Value::as_str) {
            if crate::hash::is_content_hash(h) {
                out.insert(h.to_string());
            }
        }
    }
    out
}

/// The photo hashes of a stored draft's current photo list (in order).
pub fn current_photos(body: &Value) -> Vec<String> {
    let list = &body["doc"]["fields"][crate::fields::DRAFT_PHOTOS]["value"];
    list.as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_string).collect()
}

/// The caller's relation to the artisan who owns a record. A record of no one's (an order not
/// yet assigned) is in no depot: every depot's staff see it, and operations act on it.
pub fn relation<F: DepotFacts>(facts: &F, caller: &Caller, owner: Option<&str>) -> Result<Relation, F::Error> {
    let Some(owner) = owner else { return Ok(Relation::Other) };
    if owner == caller.account_id {
        return Ok(Relation::Owner);
    }
    if caller.role == Role::Mentor {
        if let Some(a) = facts.account(owner)? {
            if a.mentor_id.as_deref() == Some(caller.account_id.as_str()) {
                return Ok(Relation::Mentor);
            }
        }
    }
    if caller.role == Role::Staff && !facts.same_depot(&caller.account_id, owner)? {
        return Ok(Relation::OtherDepot);
    }
    Ok(Relation::Other)
}

fn internal<E>(what: &str) -> Refusal<E>
where
    E: From<String>,
{
    Refusal::Failed(E::from(format!("stored record: {what}")))
}

/// Decide one mutation of device `device_id` (whose pull cursor was `cursor`) against the
/// depot's current state, at depot wall time `depot_wall_ms`. `Ok(None)`: applied already,
/// nothing to store (the same ledger entry delivered again).
pub fn decide<F>(
    facts: &F,
    caller: &Caller,
    device_id: &str,
    cursor: u64,
    m: &Mutation,
    depot_wall_ms: u64,
) -> Result<Option<Decision>, Refusal<F::Error>>
where
    F: DepotFacts,
    F::Error: From<String>,
{
    if clock_ahead(m, depot_wall_ms) {
        return Err(rej(RejectCode::ClockAhead, "a stamp is too far ahead of the server's clock").into());
    }
    let kind = m.kind()?;
    let op = m.op()?;
    if !ids::is_valid_id(&m.id) {
        return Err(rej(RejectCode::Malformed, "record ids are UUIDs").into());
    }
    let existing = facts.record(kind, &m.id).map_err(Refusal::Failed)?;
    // A write to a deleted record whose tombstone was pruned would create it again.
    if existing.is_none() && facts.pruned(kind, &m.id).map_err(Refusal::Failed)? {
        return Err(rej(RejectCode::Gone, "this record was deleted").into());
    }
    // The phone already holds the state this change builds on (it pulled it, or the latest
    // change was its own clean one): do not echo the result back.
    let seen_before = existing.as_ref().is_none_or(|r| r.seq <= cursor || r.last_device.as_deref() == Some(device_id));
    if let Some(r) = &existing {
        // Records the caller may not read do not exist for them.
        let rel = relation(facts, caller, r.owner.as_deref()).map_err(Refusal::Failed)?;
        if !may_read(caller.role, rel) {
            return Err(not_found().into());
        }
    }
    match (kind, op) {
        (Kind::Draft | Kind::Profile, Op::Fields(fields)) => {
            if fields.is_empty() || fields.len() > FIELDS_PER_DOCUMENT_MAX {
                return Err(rej(RejectCode::Malformed, "1 to 64 fields per write").into());
            }
            let (owner, mut body, state) = match existing {
                Some(r) => (r.owner.unwrap_or_default(), r.body, r.state),
                None => {
                    let owner = match kind {
                        // A new draft belongs to the artisan who wrote it.
                        Kind::Draft if caller.role == Role::Artisan => caller.account_id.clone(),
                        Kind::Draft => return Err(rej(RejectCode::Forbidden, "drafts are created by artisans").into()),
                        // A profile's id is its account's id: an artisan's, or a mentor's (her
                        // name and the M-Pesa number her commission is paid to).
                        _ => match facts.account(&m.id).map_err(Refusal::Failed)? {
                            Some(a) if matches!(a.role, Role::Artisan | Role::Mentor) => m.id.clone(),
                            _ => return Err(not_found().into()),
                        },
                    };
                    let body = if kind == Kind::Draft {
                        json!({"owner": owner, "status": DraftStatus::Draft.code(), "doc": {}})
                    } else {
                        json!({"owner": owner, "doc": {}})
                    };
                    (owner, body, None)
                }
            };
            let rel = relation(facts, caller, Some(&owner)).map_err(Refusal::Failed)?;
            let status = body.get("status").and_then(Value::as_str).and_then(DraftStatus::from_code);
            let mut doc: DocState = match state {
                Some(s) => serde_json::from_value(s).map_err(|_| internal("document state"))?,
                None => DocState::default(),
            };
            let mut clean = true;
            if fields.values().any(|w| w.base.len() > BASE_STAMPS_MAX) {
                return Err(rej(RejectCode::Invalid, "a write names at most 8 replaced stamps").into());
            }
            // Every field's shape first, then who may write it: a malformed write is refused
            // as malformed whatever state the document is in, whichever field is the bad one.
            for (name, write) in fields {
                match kind {
                    Kind::Draft => check_draft_field(name, &write.value)?,
                    _ => check_profile_field(name, &write.value)?,
                }
            }
            for (name, write) in fields {
                may_write_field(caller.role, rel, kind, status, name)?;
                let outcome = doc.apply(name, write.clone()).map_err(|e| rej(RejectCode::Invalid, &e.to_string()))?;
                clean &= matches!(outcome, FieldOutcome::Won | FieldOutcome::NoChange);
            }
            if doc.fields.len() > FIELDS_PER_DOCUMENT_MAX {
                return Err(rej(RejectCode::Invalid, "too many fields").into());
            }
            body["doc"] = serde_json::to_value(doc.for_phone()).expect("documents serialize");
            let state = serde_json::to_value(&doc).expect("documents serialize");
            if state.to_string().len() > DOCUMENT_MAX_BYTES {
                return Err(rej(RejectCode::Invalid, "the document would grow past its size limit").into());
            }
            Ok(Some(Decision {
                kind,
                id: m.id.clone(),
                owner: Some(owner),
                body,
                state: Some(state),
                echo_to_sender: clean && seen_before,
            }))
        }
        (Kind::Draft, Op::Command(c)) => {
            let r = existing.ok_or_else(not_found)?;
            let rel = relation(facts, caller, r.owner.as_deref()).map_err(Refusal::Failed)?;
            let cmd = DraftCommand::from_code(&c.name).ok_or_else(|| rej(RejectCode::Malformed, "unknown command"))?;
            let from = r
                .body
                .get("status")
                .and_then(Value::as_str)
                .and_then(DraftStatus::from_code)
                .ok_or_else(|| internal("status"))?;
            let to = draft_step(from, cmd, caller.role, rel)?;
            if cmd == DraftCommand::Approve {
                // A product goes on sale with its photos: approval waits for their bytes.
                let missing = facts.blobs_missing(&current_photos(&r.body)).map_err(Refusal::Failed)?;
                if !missing.is_empty() {
                    let detail = format!(
                        "{} of the draft's photos have not reached the depot yet: approve it once they have",
                        missing.len()
                    );
                    return Err(Rejection::new(RejectCode::PhotosPending, detail).into());
                }
            }
            let mut body = r.body;
            body["status"] = json!(to.code());
            Ok(Some(Decision { kind, id: m.id.clone(), owner: r.owner, body, state: r.state, echo_to_sender: seen_before }))
        }
        (Kind::Order, Op::Command(c)) => {
            let r = existing.ok_or_else(not_found)?;
            decide_order_command(facts, caller, &m.id, r, c, seen_before).map(Some)
        }
        (Kind::Stock, Op::Entry(e)) => decide_stock_entry(facts, caller, &m.id, existing, e),
        (Kind::Product | Kind::Money, _) => Err(rej(RejectCode::Forbidden, "written by the depot only").into()),
        _ => Err(rej(RejectCode::Malformed, "this operation does not apply to this kind of record").into()),
    }
}

/// Decide an order command against the stored order (a phone's push, or the operations API).
pub fn decide_order_command<F>(
    facts: &F,
    caller: &Caller,
    id: &str,
    stored: StoredRecord,
    c: &CommandBody,
    echo_to_sender: bool,
) -> Result<Decision, Refusal<F::Error>>
where
    F: DepotFacts,
    F::Error: From<String>,
{
    let mut order: OrderBody = serde_json::from_value(stored.body).map_err(|_| internal("order"))?;
    let rel = relation(facts, caller, stored.owner.as_deref()).map_err(Refusal::Failed)?;
    let cmd = OrderCommand::from_code(&c.name).ok_or_else(|| rej(RejectCode::Malformed, "unknown command"))?;
    let from = OrderStatus::from_code(&order.status).ok_or_else(|| internal("status"))?;
    let to = order_step(from, cmd, caller.role, rel)?;
    cmd.check_args(&c.args)?;
    let mut owner = stored.owner;
    if cmd == OrderCommand::Assign {
        let artisan = assigned_artisan(&c.args).unwrap_or_default();
        match facts.account(artisan).map_err(Refusal::Failed)? {
            Some(a) if a.role == Role::Artisan => {}
            _ => return Err(rej(RejectCode::Invalid, "artisan_id is not an artisan").into()),
        }
        owner = Some(artisan.to_string());
    }
    cmd.check_order(&order)?;
    apply_order_command(&mut order, to, c);
    let body = serde_json::to_value(&order).expect("orders serialize");
    Ok(Decision { kind: Kind::Order, id: id.to_string(), owner, body, state: None, echo_to_sender })
}

fn decide_stock_entry<F>(
    facts: &F,
    caller: &Caller,
    id: &str,
    existing: Option<StoredRecord>,
    e: &LedgerEntry,
) -> Result<Option<Decision>, Refusal<F::Error>>
where
    F: DepotFacts,
    F::Error: From<String>,
{
    may_append_stock(caller.role)?;
    e.check()?;
    if e.id != id {
        return Err(rej(RejectCode::Malformed, "the entry id is the record id").into());
    }
    if let Some(r) = existing {
        // Delivered twice: the same entry counts once; another entry under its id is refused.
        let same: Option<LedgerEntry> = serde_json::from_value(r.body["entry"].clone()).ok();
        return if same.as_ref() == Some(e) { Ok(None) } else { Err(rej(RejectCode::IdReused, "entry id reused").into()) };
    }
    let product = facts.record(Kind::Draft, &e.product_id).map_err(Refusal::Failed)?.ok_or_else(not_found)?;
    // Stock of a product another depot's artisan makes is that depot's to record.
    let rel = relation(facts, caller, product.owner.as_deref()).map_err(Refusal::Failed)?;
    if !may_read(caller.role, rel) {
        return Err(not_found().into());
    }
    let owner = product.owner.unwrap_or_default();
    let body = serde_json::to_value(StockBody { owner: owner.clone(), entry: e.clone(), extra: Extra::new() })
        .expect("entries serialize");
    Ok(Some(Decision { kind: Kind::Stock, id: id.to_string(), owner: Some(owner), body, state: None, echo_to_sender: true }))
}

/// The stamps of an applied mutation the depot's clock observes (so its later stamps sort after).
pub fn stamps_to_observe(m: &Mutation) -> Vec<Timestamp> {
    m.stamps()
}

/// Whether a stored record is a tombstone, which the depot may prune once it is older than its
/// retention horizon: a draft whose `deleted` field is true. (A cancelled order is a state the
/// artisan is shown, not a deletion.)
pub fn is_tombstone(kind: Kind, body: &Value) -> bool {
    kind == Kind::Draft && body["doc"]["fields"][crate::fields::DRAFT_DELETED]["value"] == json!(true)
}

/// The accounts that see a record of artisan `owner` because of who they are: the artisan and
/// her mentor. Operations see every record, so they never enter or leave a scope; a record with
/// no owner (an unassigned order) is operations' and staff's alone. Staff see the records of
/// their own depot's accounts: the depot adds them, who depend on its accounts (ADR 0030).
pub fn viewers<F: DepotFacts>(facts: &F, owner: Option<&str>) -> Result<BTreeSet<String>, F::Error> {
    let Some(owner) = owner else { return Ok(BTreeSet::new()) };
    let mut out = BTreeSet::from([owner.to_string()]);
    if let Some(mentor) = facts.account(owner)?.and_then(|a| a.mentor_id) {
        out.insert(mentor);
    }
    Ok(out)
}

/// Who stops and who starts seeing a record when its viewers go from `before` to `after`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScopeChange {
    /// Each gets a scope exit: its phones remove the record.
    pub lost: Vec<String>,
    /// Each must receive the record although its cursor may be past the record's place in the
    /// feed: the record moves to the feed's head.
    pub gained: Vec<String>,
}

pub fn scope_change(before: &BTreeSet<String>, after: &BTreeSet<String>) -> ScopeChange {
    ScopeChange { lost: before.difference(after).cloned().collect(), gained: after.difference(before).cloned().collect() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::FieldWrite;
    use crate::wire::Extra;
    use std::collections::BTreeMap;

    const NOW: u64 = 1_800_000_000_000;
    const ARTISAN: &str = "a0000000-0000-7000-8000-000000000001";
    const OTHER: &str = "a0000000-0000-7000-8000-000000000002";
    const MENTOR: &str = "a0000000-0000-7000-8000-000000000003";
    const DRAFT: &str = "01900000-0000-7000-8000-000000000001";
    const DEVICE: &str = "d0000000-0000-4000-8000-000000000001";

    #[derive(Default)]
    struct Facts {
        records: BTreeMap<(Kind, String), StoredRecord>,
        accounts: BTreeMap<String, AccountFacts>,
        pruned: BTreeSet<(Kind, String)>,
        blobs: BTreeSet<String>,
        /// Each account's depot (none named: a deployment of one depot).
        depots: BTreeMap<String, String>,
    }

    impl DepotFacts for Facts {
        type Error = String;
        fn record(&self, kind: Kind, id: &str) -> Result<Option<StoredRecord>, String> {
            Ok(self.records.get(&(kind, id.to_string())).cloned())
        }
        fn account(&self, id: &str) -> Result<Option<AccountFacts>, String> {
            Ok(self.accounts.get(id).cloned())
        }
        fn pruned(&self, kind: Kind, id: &str) -> Result<bool, String> {
            Ok(self.pruned.contains(&(kind, id.to_string())))
        }
        fn blobs_missing(&self, hashes: &[String]) -> Result<Vec<String>, String> {
            Ok(hashes.iter().filter(|h| !self.blobs.contains(*h)).cloned().collect())
        }
        fn same_depot(&self, staff: &str, owner: &str) -> Result<bool, String> {
            Ok(self.depots.get(staff) == self.depots.get(owner))
        }
    }

    fn facts() -> Facts {
        let mut f = Facts::default();
        f.accounts.insert(ARTISAN.into(), AccountFacts { role: Role::Artisan, mentor_id: Some(MENTOR.into()) });
        f.accounts.insert(OTHER.into(), AccountFacts { role: Role::Artisan, mentor_id: None });
        f.accounts.insert(MENTOR.into(), AccountFacts { role: Role::Mentor, mentor_id: None });
        f
    }

    fn ts(ms: u64) -> Timestamp {
        Timestamp { wall_ms: ms, counter: 0, node: 1 }
    }

    fn write(field: &str, value: Value, ms: u64) -> Mutation {
        let mut fields = BTreeMap::new();
        fields.insert(field.to_string(), FieldWrite::new(value, ts(ms), vec![]));
        Mutation {
            counter: 1,
            kind: "draft".into(),
            id: DRAFT.into(),
            fields: Some(fields),
            command: None,
            entry: None,
            extra: Extra::new(),
        }
    }

    fn who(id: &str, role: Role) -> Caller {
        Caller { account_id: id.into(), role }
    }

    /// Apply a decision to the facts, as the depot's store would.
    fn store(f: &mut Facts, d: Decision, seq: u64) {
        let last = d.echo_to_sender.then(|| DEVICE.to_string());
        f.records.insert((d.kind, d.id), StoredRecord { owner: d.owner, body: d.body, state: d.state, seq, last_device: last });
    }

    fn code<T: std::fmt::Debug>(r: Result<T, Refusal<String>>) -> RejectCode {
        match r {
            Err(Refusal::Refused(r)) => r.code,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn a_push_is_checked_as_a_whole_first() {
        let req = |protocol, device: &str, counters: &[u64]| PushRequest {
            protocol,
            device_id: device.into(),
            cursor: 0,
            mutations: counters.iter().map(|c| Mutation { counter: *c, ..write("title", json!("x"), NOW) }).collect(),
            extra: Extra::new(),
        };
        assert_eq!(check_push(&req(1, DEVICE, &[1, 2]), DEVICE), Ok(()));
        assert_eq!(check_push(&req(2, DEVICE, &[1]), DEVICE), Err(BatchRefusal::UnsupportedVersion(2)));
        assert_eq!(check_push(&req(0, DEVICE, &[1]), DEVICE), Err(BatchRefusal::UnsupportedVersion(0)));
        assert_eq!(check_push(&req(1, "someone else", &[1]), DEVICE), Err(BatchRefusal::WrongDevice));
        assert_eq!(check_push(&req(1, DEVICE, &[2, 2]), DEVICE), Err(BatchRefusal::BadCounters));
        assert_eq!(check_push(&req(1, DEVICE, &[0]), DEVICE), Err(BatchRefusal::BadCounters));
        let big: Vec<u64> = (1..=PUSH_BATCH_MAX as u64 + 1).collect();
        assert_eq!(check_push(&req(1, DEVICE, &big), DEVICE), Err(BatchRefusal::TooLarge));
    }

    #[test]
    fn counters_beyond_the_signed_range_and_too_many_bases_are_refused() {
        let mut m = write("title", json!("x"), NOW);
        m.counter = COUNTER_MAX + 1;
        let req = PushRequest { protocol: 1, device_id: DEVICE.into(), cursor: 0, mutations: vec![m], extra: Extra::new() };
        assert_eq!(check_push(&req, DEVICE), Err(BatchRefusal::BadCounters));
        let mut m = write("title", json!("x"), NOW);
        m.fields.as_mut().unwrap().get_mut("title").unwrap().base = (0..=BASE_STAMPS_MAX as u64).map(|i| ts(i + 1)).collect();
        assert_eq!(code(decide(&facts(), &who(ARTISAN, Role::Artisan), DEVICE, 0, &m, NOW)), RejectCode::Invalid);
    }

    #[test]
    fn a_field_keeps_a_bounded_number_of_conflicts_and_a_document_a_bounded_size() {
        let mut f = facts();
        let me = who(ARTISAN, Role::Artisan);
        let d = decide(&f, &me, DEVICE, 0, &write("title", json!("newest"), NOW), NOW).unwrap().unwrap();
        store(&mut f, d, 1);
        // Each older write of the same field loses and is kept as a conflict, up to the limit;
        // past it the oldest are folded away, counted, and no write is refused.
        let keep = crate::limits::CONFLICTS_PER_FIELD_MAX as u64;
        for i in 0..keep + 12 {
            let d = decide(&f, &me, DEVICE, 0, &write("title", json!(format!("old {i}")), NOW - 1000 + i), NOW).unwrap().unwrap();
            store(&mut f, d, 2 + i);
        }
        let one_more = write("title", json!("older still"), NOW - 2000);
        let d = decide(&f, &me, DEVICE, 0, &one_more, NOW).unwrap().unwrap();
        assert!(!d.echo_to_sender, "its sender learns it was folded away");
        let doc: DocState = serde_json::from_value(d.body["doc"].clone()).unwrap();
        assert_eq!((doc.conflicts["title"].len(), doc.folded_count("title")), (8, 13));
        assert_eq!(doc.conflicts["title"].keys().next(), Some(&ts(NOW - 1000 + 12)), "the newest eight kept");
        store(&mut f, d, 50);
        // Many fields of maximal size: the document stops growing at its limit.
        let big = json!("x".repeat(crate::limits::FIELD_VALUE_MAX_BYTES - 16));
        let mut refused = false;
        for i in 0..FIELDS_PER_DOCUMENT_MAX as u64 {
            match decide(&f, &me, DEVICE, 0, &write(&format!("extra_{i}"), big.clone(), NOW + i), NOW) {
                Ok(Some(d)) => store(&mut f, d, 100 + i),
                other => {
                    assert_eq!(code(other), RejectCode::Invalid);
                    refused = true;
                    break;
                }
            }
        }
        assert!(refused, "a document cannot grow past DOCUMENT_MAX_BYTES");
        let stored = &f.records[&(Kind::Draft, DRAFT.to_string())];
        assert!(stored.state.as_ref().unwrap().to_string().len() <= DOCUMENT_MAX_BYTES);
    }

    #[test]
    fn a_replay_whose_answer_was_pruned_is_refused_never_applied() {
        let kept = MutationResult { counter: 3, rejected: None };
        assert_eq!(replay_answer(3, Some(kept.clone())), kept);
        let pruned = replay_answer(4, None);
        assert_eq!(pruned.counter, 4);
        assert_eq!(pruned.rejected.map(|r| r.code), Some(RejectCode::TooOldToReplay));
    }

    #[test]
    fn a_new_draft_belongs_to_the_artisan_who_wrote_it() {
        let f = facts();
        let d = decide(&f, &who(ARTISAN, Role::Artisan), DEVICE, 0, &write("title", json!("Kikapu"), NOW), NOW).unwrap().unwrap();
        assert_eq!(d.owner.as_deref(), Some(ARTISAN));
        assert_eq!(d.body["status"], "draft");
        assert!(d.echo_to_sender, "a clean first write is not echoed back");
        let staff = who(OTHER, Role::Staff);
        assert_eq!(code(decide(&f, &staff, DEVICE, 0, &write("title", json!("x"), NOW), NOW)), RejectCode::Forbidden);
    }

    #[test]
    fn another_artisans_draft_does_not_exist_for_the_caller() {
        let mut f = facts();
        let d = decide(&f, &who(ARTISAN, Role::Artisan), DEVICE, 0, &write("title", json!("Kikapu"), NOW), NOW).unwrap().unwrap();
        store(&mut f, d, 1);
        let thief = who(OTHER, Role::Artisan);
        assert_eq!(code(decide(&f, &thief, DEVICE, 0, &write("title", json!("mine now"), NOW + 1), NOW)), RejectCode::NotFound);
    }

    #[test]
    fn a_mentor_writes_only_the_review_note_of_a_mentees_draft() {
        let mut f = facts();
        let d = decide(&f, &who(ARTISAN, Role::Artisan), DEVICE, 0, &write("title", json!("Kikapu"), NOW), NOW).unwrap().unwrap();
        store(&mut f, d, 1);
        let mentor = who(MENTOR, Role::Mentor);
        assert!(decide(&f, &mentor, DEVICE, 0, &write("review_note", json!("Nzuri"), NOW + 1), NOW).is_ok());
        assert_eq!(code(decide(&f, &mentor, DEVICE, 0, &write("price", json!(50_000), NOW + 1), NOW)), RejectCode::Forbidden);
    }

    #[test]
    fn the_clock_bound_is_the_depots_wall_clock_plus_the_limit() {
        let f = facts();
        let me = who(ARTISAN, Role::Artisan);
        let at = write("title", json!("x"), NOW + CLOCK_AHEAD_MAX_MS);
        let past = write("title", json!("x"), NOW + CLOCK_AHEAD_MAX_MS + 1);
        assert!(decide(&f, &me, DEVICE, 0, &at, NOW).is_ok());
        assert_eq!(code(decide(&f, &me, DEVICE, 0, &past, NOW)), RejectCode::ClockAhead);
    }

    #[test]
    fn a_concurrent_write_is_echoed_back_and_a_clean_one_is_not() {
        let mut f = facts();
        let me = who(ARTISAN, Role::Artisan);
        let d = decide(&f, &me, "another phone", 0, &write("title", json!("a"), NOW - 10), NOW).unwrap().unwrap();
        store(&mut f, d, 5);
        // This phone has not pulled seq 5 (cursor 4): its write, though it wins, is echoed.
        let d = decide(&f, &me, DEVICE, 4, &write("title", json!("b"), NOW), NOW).unwrap().unwrap();
        assert!(!d.echo_to_sender);
        // Having pulled it (cursor 5), a causal edit is clean.
        let d = decide(&f, &me, DEVICE, 5, &write("description", json!("c"), NOW), NOW).unwrap().unwrap();
        assert!(d.echo_to_sender);
    }

    #[test]
    fn a_stock_entry_delivered_twice_counts_once_and_its_id_is_not_reused() {
        let mut f = facts();
        let d = decide(&f, &who(ARTISAN, Role::Artisan), DEVICE, 0, &write("title", json!("Kikapu"), NOW), NOW).unwrap().unwrap();
        store(&mut f, d, 1);
        let entry = LedgerEntry {
            id: "01900000-0000-7000-8000-000000000099".into(),
            product_id: DRAFT.into(),
            delta: 4,
            reason: "received".into(),
            hlc: ts(NOW),
            extra: Extra::new(),
        };
        let m = |e: &LedgerEntry| Mutation {
            counter: 1,
            kind: "stock".into(),
            id: e.id.clone(),
            fields: None,
            command: None,
            entry: Some(e.clone()),
            extra: Extra::new(),
        };
        let staff = who(OTHER, Role::Staff);
        let d = decide(&f, &staff, DEVICE, 0, &m(&entry), NOW).unwrap().unwrap();
        assert_eq!(d.owner.as_deref(), Some(ARTISAN), "stock belongs to the product's artisan");
        store(&mut f, d, 2);
        assert_eq!(decide(&f, &staff, DEVICE, 0, &m(&entry), NOW), Ok(None));
        let other = LedgerEntry { delta: 5, ..entry.clone() };
        assert_eq!(code(decide(&f, &staff, DEVICE, 0, &m(&other), NOW)), RejectCode::IdReused);
        assert_eq!(code(decide(&f, &who(ARTISAN, Role::Artisan), DEVICE, 0, &m(&entry), NOW)), RejectCode::Forbidden);
    }

    #[test]
    fn an_order_is_assigned_only_to_an_artisan_and_then_accepted_by_her() {
        let mut f = facts();
        let order = crate::wire::OrderBody {
            status: "new".into(),
            artisan_id: None,
            product: "Kiondo".into(),
            product_id: None,
            quantity: 1,
            price_minor: 150_000,
            source: "shop".into(),
            external_ref: "S-1".into(),
            updated_hlc: ts(1),
            note: None,
            due_date: None,
            history: vec![],
            history_dropped: 0,
            extra: Extra::new(),
        };
        let id = "01900000-0000-7000-8000-000000000050";
        let stored =
            StoredRecord { owner: None, body: serde_json::to_value(&order).unwrap(), state: None, seq: 1, last_device: None };
        let ops = who("ops", Role::Operations);
        let assign =
            |to: &str| CommandBody::new("assign", ts(NOW), [("artisan_id".to_string(), json!(to))].into_iter().collect());
        assert_eq!(code(decide_order_command(&f, &ops, id, stored.clone(), &assign(MENTOR), false)), RejectCode::Invalid);
        let d = decide_order_command(&f, &ops, id, stored, &assign(ARTISAN), false).unwrap();
        assert_eq!(d.owner.as_deref(), Some(ARTISAN));
        store(&mut f, d, 2);
        let accept = Mutation {
            counter: 1,
            kind: "order".into(),
            id: id.into(),
            fields: None,
            command: Some(CommandBody::new("accept", ts(NOW), Extra::new())),
            entry: None,
            extra: Extra::new(),
        };
        assert_eq!(code(decide(&f, &who(OTHER, Role::Artisan), DEVICE, 0, &accept, NOW)), RejectCode::NotFound);
        let d = decide(&f, &who(ARTISAN, Role::Artisan), DEVICE, 0, &accept, NOW).unwrap().unwrap();
        assert_eq!(d.body["status"], "accepted");
    }

    /// A replenishment (ADR 0026) restores the depot's stock: it is stocked, never shipped, so
    /// it never earns by itself; an order of the shop from the same state ships.
    #[test]
    fn a_replenishment_goes_into_stock_and_is_never_shipped() {
        let f = facts();
        let order = |source: &str| crate::wire::OrderBody {
            status: "qc_passed".into(),
            artisan_id: Some(ARTISAN.into()),
            product: "Kiondo".into(),
            product_id: Some(DRAFT.into()),
            quantity: 2,
            price_minor: 300_000,
            source: source.into(),
            external_ref: "01900000-0000-7000-8000-000000000051".into(),
            updated_hlc: ts(1),
            note: None,
            due_date: None,
            history: vec![],
            history_dropped: 0,
            extra: Extra::new(),
        };
        let stored = |o| StoredRecord {
            owner: Some(ARTISAN.into()),
            body: serde_json::to_value(&o).unwrap(),
            state: None,
            seq: 1,
            last_device: None,
        };
        let id = "01900000-0000-7000-8000-000000000052";
        let staff = who("staff", Role::Staff);
        let command = |name: &str| CommandBody::new(name, ts(NOW), Extra::new());
        let replenish = stored(order(crate::shop::REPLENISH_SOURCE));
        let refused = decide_order_command(&f, &staff, id, replenish.clone(), &command("ship"), false);
        assert_eq!(code(refused), RejectCode::IllegalTransition);
        let d = decide_order_command(&f, &staff, id, replenish, &command("stock"), false).unwrap();
        assert_eq!(d.body["status"], "stocked");
        let d = decide_order_command(&f, &staff, id, stored(order("shop")), &command("ship"), false).unwrap();
        assert_eq!(d.body["status"], "shipped");
    }

    #[test]
    fn a_draft_is_approved_only_once_its_photos_reached_the_depot() {
        let mut f = facts();
        let (a, b) = (crate::hash::sha256_hex(b"a"), crate::hash::sha256_hex(b"b"));
        let draft =
            json!({"owner": ARTISAN, "status": "submitted", "doc": {"fields": {"photos": {"value": [a, b], "hlc": ts(1)}}}});
        f.records.insert(
            (Kind::Draft, DRAFT.into()),
            StoredRecord { owner: Some(ARTISAN.into()), body: draft, state: None, seq: 1, last_device: None },
        );
        let approve = Mutation {
            counter: 1,
            kind: "draft".into(),
            id: DRAFT.into(),
            fields: None,
            command: Some(CommandBody::new("approve", ts(NOW), Extra::new())),
            entry: None,
            extra: Extra::new(),
        };
        let mentor = who(MENTOR, Role::Mentor);
        f.blobs.insert(a.clone());
        assert_eq!(code(decide(&f, &mentor, DEVICE, 0, &approve, NOW)), RejectCode::PhotosPending);
        // Who may not approve at all hears that first.
        assert_eq!(code(decide(&f, &who(OTHER, Role::Artisan), DEVICE, 0, &approve, NOW)), RejectCode::NotFound);
        f.blobs.insert(b.clone());
        let d = decide(&f, &mentor, DEVICE, 0, &approve, NOW).unwrap().unwrap();
        assert_eq!(d.body["status"], "approved");
        assert_eq!(current_photos(&d.body), [a, b]);
    }

    #[test]
    fn a_drafts_blobs_are_its_photo_lists_current_and_conflicting() {
        let (a, b, c) = (crate::hash::sha256_hex(b"a"), crate::hash::sha256_hex(b"b"), crate::hash::sha256_hex(b"c"));
        let body = json!({"status": "draft", "doc": {
            "fields": {"photos": {"value": [a, b], "hlc": "x"}, "title": {"value": c, "hlc": "x"}},
            "conflicts": {"photos": {"s1": {"value": [b, c], "hlc": "y"}}, "title": {"s2": {"value": [a], "hlc": "y"}}},
        }});
        let refs: Vec<String> = blob_refs(Kind::Draft, &body).into_iter().collect();
        let mut expected = vec![a.clone(), b.clone(), c.clone()];
        expected.sort();
        assert_eq!(refs, expected);
        assert!(blob_refs(Kind::Profile, &body).is_empty(), "only drafts carry photos");
        assert!(blob_refs(Kind::Draft, &json!({"status": "draft"})).is_empty());
    }

    #[test]
    fn a_write_to_a_pruned_record_is_refused_gone_and_creates_nothing() {
        let mut f = facts();
        let me = who(ARTISAN, Role::Artisan);
        let d = decide(&f, &me, DEVICE, 0, &write("deleted", json!(true), NOW), NOW).unwrap().unwrap();
        assert!(is_tombstone(Kind::Draft, &d.body));
        // The depot prunes the tombstone: the record is no more, its id is remembered.
        f.pruned.insert((Kind::Draft, DRAFT.to_string()));
        let late_edit = write("title", json!("edited offline"), NOW - 60_000);
        assert_eq!(code(decide(&f, &me, DEVICE, 0, &late_edit, NOW)), RejectCode::Gone);
        // Another id is still a new draft.
        let other = Mutation { id: "01900000-0000-7000-8000-000000000002".into(), ..late_edit };
        assert!(decide(&f, &me, DEVICE, 0, &other, NOW).unwrap().is_some());
    }

    #[test]
    fn only_a_deleted_draft_is_a_tombstone() {
        let body = |deleted: Value| json!({"owner": ARTISAN, "status": "draft", "doc": {"fields": {"deleted": {"value": deleted, "hlc": ts(1)}}}});
        assert!(is_tombstone(Kind::Draft, &body(json!(true))));
        assert!(!is_tombstone(Kind::Draft, &body(json!(false))), "undeleted");
        assert!(!is_tombstone(Kind::Draft, &json!({"owner": ARTISAN, "status": "draft", "doc": {}})));
        assert!(!is_tombstone(Kind::Profile, &body(json!(true))), "profiles are never deleted");
        assert!(!is_tombstone(Kind::Order, &json!({"status": "cancelled"})), "a cancelled order is shown, not deleted");
    }

    #[test]
    fn a_reassigned_record_leaves_its_artisan_and_her_mentor_unless_he_mentors_both() {
        let mut f = facts();
        let set = |ids: &[&str]| ids.iter().map(|s| s.to_string()).collect::<BTreeSet<String>>();
        assert_eq!(viewers(&f, Some(ARTISAN)).unwrap(), set(&[ARTISAN, MENTOR]));
        assert_eq!(viewers(&f, None).unwrap(), set(&[]), "unassigned: staff and operations only");
        // From a mentee of MENTOR to an artisan without a mentor.
        let change = scope_change(&viewers(&f, Some(ARTISAN)).unwrap(), &viewers(&f, Some(OTHER)).unwrap());
        assert_eq!(change, ScopeChange { lost: vec![ARTISAN.into(), MENTOR.into()], gained: vec![OTHER.into()] });
        // Between two mentees of the same mentor: he keeps it.
        f.accounts.get_mut(OTHER).unwrap().mentor_id = Some(MENTOR.into());
        let change = scope_change(&viewers(&f, Some(ARTISAN)).unwrap(), &viewers(&f, Some(OTHER)).unwrap());
        assert_eq!(change, ScopeChange { lost: vec![ARTISAN.into()], gained: vec![OTHER.into()] });
        // First assignment of an order: nobody loses it.
        let change = scope_change(&viewers(&f, None).unwrap(), &viewers(&f, Some(OTHER)).unwrap());
        assert!(change.lost.is_empty());
    }

    /// Several depots (ADR 0030): staff of another depot than the artisan's find nothing of hers
    /// (not her draft, not her order, not her product to record stock of), as if it did not
    /// exist; her own depot's staff act as before; operations, in no depot, act on all.
    #[test]
    fn staff_of_another_depot_find_nothing_of_an_artisans() {
        const HERS: &str = "5a000000-0000-7000-8000-000000000001";
        const THEIRS: &str = "5b000000-0000-7000-8000-000000000002";
        let mut f = facts();
        for (account, depot) in [(ARTISAN, "a"), (MENTOR, "a"), (HERS, "a"), (THEIRS, "b")] {
            f.depots.insert(account.into(), depot.into());
        }
        let (hers, theirs) = (who(HERS, Role::Staff), who(THEIRS, Role::Staff));
        assert_eq!(relation(&f, &theirs, Some(ARTISAN)), Ok(Relation::OtherDepot));
        assert_eq!(relation(&f, &hers, Some(ARTISAN)), Ok(Relation::Other));
        assert_eq!(relation(&f, &theirs, None), Ok(Relation::Other), "an order of no one's is in no depot");
        assert_eq!(relation(&f, &who("ops", Role::Operations), Some(ARTISAN)), Ok(Relation::Other));
        let d = decide(&f, &who(ARTISAN, Role::Artisan), DEVICE, 0, &write("title", json!("Kikapu"), NOW), NOW).unwrap().unwrap();
        store(&mut f, d, 1);
        // Her draft's fields and its review.
        assert_eq!(code(decide(&f, &theirs, DEVICE, 0, &write("review_note", json!("x"), NOW), NOW)), RejectCode::NotFound);
        assert!(decide(&f, &hers, DEVICE, 0, &write("review_note", json!("Good"), NOW), NOW).is_ok());
        // Stock of her product: a new entry names it.
        let entry = |id: &str| Mutation {
            counter: 1,
            kind: "stock".into(),
            id: id.into(),
            fields: None,
            command: None,
            entry: Some(LedgerEntry {
                id: id.into(),
                product_id: DRAFT.into(),
                delta: 2,
                reason: "received".into(),
                hlc: ts(NOW),
                extra: Extra::new(),
            }),
            extra: Extra::new(),
        };
        assert_eq!(
            code(decide(&f, &theirs, DEVICE, 0, &entry("01900000-0000-7000-8000-000000000098"), NOW)),
            RejectCode::NotFound
        );
        let d = decide(&f, &hers, DEVICE, 0, &entry("01900000-0000-7000-8000-000000000098"), NOW).unwrap().unwrap();
        assert_eq!(d.owner.as_deref(), Some(ARTISAN));
        // Her order at the depot: received by her depot's staff only.
        let mut order: crate::wire::OrderBody = serde_json::from_value(json!({
            "status": "ready_for_pickup", "artisan_id": ARTISAN, "product": "Kiondo", "quantity": 1, "price_minor": 100,
            "source": "shop", "external_ref": "S-9", "updated_hlc": ts(1).to_string(), "history": []
        }))
        .unwrap();
        order.history_dropped = 0;
        let stored = StoredRecord {
            owner: Some(ARTISAN.into()),
            body: serde_json::to_value(&order).unwrap(),
            state: None,
            seq: 3,
            last_device: None,
        };
        let receive = CommandBody::new("receive", ts(NOW), Extra::new());
        let e = decide_order_command(&f, &theirs, "o", stored.clone(), &receive, false);
        assert_eq!(code(e), RejectCode::Forbidden, "the transition table's own refusal, had the record been found");
        assert!(decide_order_command(&f, &hers, "o", stored, &receive, false).is_ok());
    }

    /// A write is refused for its shape before who may write it is asked: a malformed field in
    /// a write to a locked draft is malformed, whichever field comes first.
    #[test]
    fn a_malformed_field_is_refused_as_such_even_where_another_field_is_locked() {
        let mut f = facts();
        let d = decide(&f, &who(ARTISAN, Role::Artisan), DEVICE, 0, &write("title", json!("Kikapu"), NOW), NOW).unwrap().unwrap();
        store(&mut f, d, 1);
        let submit = Mutation {
            counter: 1,
            kind: "draft".into(),
            id: DRAFT.into(),
            fields: None,
            command: Some(CommandBody::new("submit", ts(NOW), Extra::new())),
            entry: None,
            extra: Extra::new(),
        };
        let d = decide(&f, &who(ARTISAN, Role::Artisan), DEVICE, 0, &submit, NOW).unwrap().unwrap();
        store(&mut f, d, 2);
        let mut m = write("title", json!("Kiondo"), NOW + 1);
        assert_eq!(code(decide(&f, &who(ARTISAN, Role::Artisan), DEVICE, 0, &m, NOW)), RejectCode::Locked);
        let bad = FieldWrite::new(json!("x"), ts(NOW + 1), vec![]);
        m.fields.as_mut().unwrap().insert("zz-bad".into(), bad); // after "title" in the write's order
        let refused = code(decide(&f, &who(ARTISAN, Role::Artisan), DEVICE, 0, &m, NOW));
        assert!(matches!(refused, RejectCode::Malformed | RejectCode::Invalid), "{refused:?}");
    }
}
