//! The depot's rules over maps: accounts with fixed ids, a few stored records, and decisions
//! stored as the depot's SQL store does (body and state through their JSON text, so a decision
//! the depot could not read back fails here too).

use fundi_sync::depot::{decide, AccountFacts, Caller, Decision, DepotFacts, StoredRecord};
use fundi_sync::hlc::Timestamp;
use fundi_sync::{FieldWrite, Kind, Mutation, Role};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The depot's wall clock in the in-memory runs (fixed, so a run is reproducible).
pub const NOW: u64 = 1_800_000_000_000;
pub const ARTISAN: &str = "a0000000-0000-7000-8000-000000000001";
pub const OTHER_ARTISAN: &str = "a0000000-0000-7000-8000-000000000002";
pub const MENTOR: &str = "a0000000-0000-7000-8000-000000000003";
pub const STAFF: &str = "a0000000-0000-7000-8000-000000000004";
pub const OPERATIONS: &str = "a0000000-0000-7000-8000-000000000005";
/// A draft of [`ARTISAN`]'s, an order assigned to her, and an order not yet assigned.
pub const DRAFT: &str = "01900000-0000-7000-8000-000000000001";
pub const ORDER_ASSIGNED: &str = "01900000-0000-7000-8000-000000000050";
pub const ORDER_NEW: &str = "01900000-0000-7000-8000-000000000051";

/// The device of each role's account, as the fixtures' pushes name it.
pub fn device_of(role: Role) -> &'static str {
    match role {
        Role::Artisan => "d0000000-0000-4000-8000-000000000001",
        Role::Mentor => "d0000000-0000-4000-8000-000000000002",
        Role::Staff => "d0000000-0000-4000-8000-000000000003",
        Role::Operations => "d0000000-0000-4000-8000-000000000004",
    }
}

pub fn account_of(role: Role) -> &'static str {
    match role {
        Role::Artisan => ARTISAN,
        Role::Mentor => MENTOR,
        Role::Staff => STAFF,
        Role::Operations => OPERATIONS,
    }
}

#[derive(Debug)]
pub struct MemFacts {
    pub records: BTreeMap<(Kind, String), StoredRecord>,
    pub accounts: BTreeMap<String, AccountFacts>,
    seq: u64,
}

impl DepotFacts for MemFacts {
    type Error = String;
    fn record(&self, kind: Kind, id: &str) -> Result<Option<StoredRecord>, String> {
        Ok(self.records.get(&(kind, id.to_string())).cloned())
    }
    fn account(&self, id: &str) -> Result<Option<AccountFacts>, String> {
        Ok(self.accounts.get(id).cloned())
    }
}

fn stamp(ms: u64) -> Timestamp {
    Timestamp { wall_ms: ms, counter: 0, node: 7 }
}

impl MemFacts {
    /// The accounts, a draft written by its artisan through the rules, and two orders.
    pub fn new() -> MemFacts {
        let mut f = MemFacts { records: BTreeMap::new(), accounts: BTreeMap::new(), seq: 0 };
        let artisan = |mentor: Option<&str>| AccountFacts { role: Role::Artisan, mentor_id: mentor.map(String::from) };
        f.accounts.insert(ARTISAN.into(), artisan(Some(MENTOR)));
        f.accounts.insert(OTHER_ARTISAN.into(), artisan(None));
        f.accounts.insert(MENTOR.into(), AccountFacts { role: Role::Mentor, mentor_id: None });
        f.accounts.insert(STAFF.into(), AccountFacts { role: Role::Staff, mentor_id: None });
        f.accounts.insert(OPERATIONS.into(), AccountFacts { role: Role::Operations, mentor_id: None });
        let mut m = Mutation::new(Kind::Draft, DRAFT);
        m.counter = 1;
        let fields = [("title", json!("Kikapu")), ("price", json!(150_000)), ("category", json!("baskets"))];
        m.fields =
            Some(fields.into_iter().map(|(k, v)| (k.to_string(), FieldWrite::new(v, stamp(NOW - 60_000), vec![]))).collect());
        let me = Caller { account_id: ARTISAN.into(), role: Role::Artisan };
        let d = decide(&f, &me, device_of(Role::Artisan), 0, &m, NOW).expect("the seed draft is valid").expect("stored");
        f.store(d, device_of(Role::Artisan));
        for (id, owner, status) in [(ORDER_ASSIGNED, Some(ARTISAN), "assigned"), (ORDER_NEW, None, "new")] {
            let body = json!({"status": status, "artisan_id": owner, "product": "Kiondo", "quantity": 2, "price_minor": 150_000,
                "source": "shop", "external_ref": id, "updated_hlc": stamp(NOW - 120_000).to_string()});
            f.seq += 1;
            let record = StoredRecord { owner: owner.map(String::from), body, state: None, seq: f.seq, last_device: None };
            f.records.insert((Kind::Order, id.into()), record);
        }
        f
    }

    /// Store a decision as the depot's SQL store does: moved to the feed's head, its body and
    /// state kept as JSON text and read back. Panics if either does not read back.
    pub fn store(&mut self, d: Decision, device: &str) {
        let reread = |v: &Value| -> Value {
            serde_json::from_str(&v.to_string()).unwrap_or_else(|e| panic!("a decided record does not read back: {e}: {v}"))
        };
        self.seq += 1;
        let record = StoredRecord {
            owner: d.owner,
            body: reread(&d.body),
            state: d.state.as_ref().map(reread),
            seq: self.seq,
            last_device: d.echo_to_sender.then(|| device.to_string()),
        };
        self.records.insert((d.kind, d.id), record);
    }
}

impl Default for MemFacts {
    fn default() -> Self {
        MemFacts::new()
    }
}
