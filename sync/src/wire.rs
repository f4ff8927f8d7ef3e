//! Wire types of protocol version [`PROTOCOL_VERSION`]. Every struct that is stored and sent on
//! (requests, mutations, field writes, commands, documents, orders, ledger entries, stock
//! bodies) keeps the members it does not know in `extra` (`#[serde(flatten)]`), so a record
//! written by a newer app passes through an older phone or server and comes back unchanged
//! (`tests::unknown_members_of_everything_stored_and_sent_on_survive_a_round_trip`). Answers
//! (`MutationResult`, `Rejection`, `Change`, `RejectionBody`) are read and acted on, never sent
//! on. Kinds and commands travel as strings and are parsed per mutation: one mutation of a kind
//! this build does not know is rejected on its own, never failing the batch around it.

use crate::hlc::Timestamp;
use crate::limits::FIELD_NAME_MAX_BYTES;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;

pub use super::document::{DocState, FieldWrite};
pub use super::ledger::LedgerEntry;

/// The protocol spoken by this build. A server answers requests of any version up to its own.
pub const PROTOCOL_VERSION: u32 = 1;

pub type Extra = serde_json::Map<String, serde_json::Value>;

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The record kinds of protocol 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// A product draft (document + review workflow).
    Draft,
    /// An artisan's profile (document).
    Profile,
    /// An order (workflow).
    Order,
    /// A stock movement at the depot (ledger).
    Stock,
    /// A mutation the server refused, sent back to the phone that pushed it (a visible conflict).
    Rejection,
    /// An entry of an account's money ledger (an earning, a payout, ...): written by the depot
    /// only, read by its owner only ([`crate::money_ledger`]).
    Money,
    /// A published product: the approved version of a draft and its shop listing ([`crate::catalog`]),
    /// written by the depot only.
    Product,
}

impl Kind {
    pub const ALL: [Kind; 7] =
        [Kind::Draft, Kind::Profile, Kind::Order, Kind::Stock, Kind::Rejection, Kind::Money, Kind::Product];
    /// Kinds only their owner receives, whatever the caller's role (others see them only
    /// through the depot's operations endpoints).
    pub const OWNER_ONLY: [Kind; 2] = [Kind::Rejection, Kind::Money];
    pub fn code(self) -> &'static str {
        match self {
            Kind::Draft => "draft",
            Kind::Profile => "profile",
            Kind::Order => "order",
            Kind::Stock => "stock",
            Kind::Rejection => "rejection",
            Kind::Money => "money",
            Kind::Product => "product",
        }
    }
    pub fn from_code(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.code() == s)
    }
}

/// A workflow command as queued on a phone.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct CommandBody {
    pub name: String,
    pub hlc: Timestamp,
    /// Command arguments: `artisan_id` for assign, `reason` for decline, qc_fail and cancel,
    /// `photo` (a SHA-256) for qc_pass and qc_fail.
    #[serde(default, skip_serializing_if = "Extra::is_empty")]
    pub args: Extra,
    #[serde(flatten)]
    pub extra: Extra,
}

impl CommandBody {
    /// A command made by this build.
    pub fn new(name: &str, hlc: Timestamp, args: Extra) -> CommandBody {
        CommandBody { name: name.to_string(), hlc, args, extra: Extra::new() }
    }
}

/// One change a phone made, numbered by its device's counter. Exactly one of `fields`,
/// `command` and `entry` is set (checked by [`Mutation::op`]).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Mutation {
    pub counter: u64,
    pub kind: String,
    pub id: String,
    /// Document field writes (drafts, profiles).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<BTreeMap<String, FieldWrite>>,
    /// A workflow command (orders, draft review).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<CommandBody>,
    /// A ledger entry (stock).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry: Option<LedgerEntry>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// What a mutation asks for, once checked.
#[derive(Debug, PartialEq)]
pub enum Op<'a> {
    Fields(&'a BTreeMap<String, FieldWrite>),
    Command(&'a CommandBody),
    Entry(&'a LedgerEntry),
}

impl Mutation {
    /// An empty mutation of `kind` on record `id`: set one of `fields`, `command`, `entry`. Its
    /// counter is given when it is queued.
    pub fn new(kind: Kind, id: &str) -> Mutation {
        Mutation {
            counter: 0,
            kind: kind.code().into(),
            id: id.into(),
            fields: None,
            command: None,
            entry: None,
            extra: Extra::new(),
        }
    }

    pub fn kind(&self) -> Result<Kind, Rejection> {
        Kind::from_code(&self.kind)
            .filter(|k| *k != Kind::Rejection)
            .ok_or_else(|| Rejection::new(RejectCode::UnsupportedKind, "unknown record kind"))
    }
    pub fn op(&self) -> Result<Op<'_>, Rejection> {
        match (&self.fields, &self.command, &self.entry) {
            (Some(f), None, None) => Ok(Op::Fields(f)),
            (None, Some(c), None) => Ok(Op::Command(c)),
            (None, None, Some(e)) => Ok(Op::Entry(e)),
            _ => Err(Rejection::new(RejectCode::Malformed, "a mutation sets exactly one of fields, command, entry")),
        }
    }
    /// What the mutation asks for, without its values ("edit title, price", "accept", "stock
    /// entry"): shown in the outbox and in a refusal's conflict record.
    pub fn summary(&self) -> String {
        match self.op() {
            Ok(Op::Fields(f)) => {
                let names: Vec<String> = f.keys().take(8).map(|k| k.chars().take(FIELD_NAME_MAX_BYTES).collect()).collect();
                format!("edit {}", names.join(", "))
            }
            Ok(Op::Command(c)) => c.name.chars().take(32).collect(),
            Ok(Op::Entry(_)) => "stock entry".into(),
            Err(_) => "malformed".into(),
        }
    }

    /// Every HLC stamp the mutation carries (the server bounds them all).
    pub fn stamps(&self) -> Vec<Timestamp> {
        let mut out = vec![];
        if let Some(f) = &self.fields {
            for w in f.values() {
                out.push(w.hlc);
                out.extend(w.base.iter().copied());
            }
        }
        if let Some(c) = &self.command {
            out.push(c.hlc);
        }
        if let Some(e) = &self.entry {
            out.push(e.hlc);
        }
        out
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct PushRequest {
    pub protocol: u32,
    pub device_id: String,
    /// The phone's pull cursor when it built the batch: records it already holds up to here
    /// are not echoed back by the next pull (0 when it has never pulled).
    #[serde(default)]
    pub cursor: u64,
    pub mutations: Vec<Mutation>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// Why the server refused one mutation. The code is what programs act on.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum RejectCode {
    /// The caller's role or relation to the record does not allow this.
    Forbidden,
    NotFound,
    /// The workflow does not allow this command from the record's current state.
    IllegalTransition,
    /// A value fails validation.
    Invalid,
    /// A stamp is further in the future than the server allows.
    ClockAhead,
    UnsupportedKind,
    Malformed,
    /// A ledger entry id reused with different content.
    IdReused,
    /// A replay of a counter whose answer the depot no longer keeps: it was applied or refused
    /// long ago, and the phone cannot learn which (it parks the item; the user decides).
    TooOldToReplay,
    /// The record is locked for this field (a submitted draft, an approved price).
    Locked,
    /// The record was deleted and the depot no longer keeps it (its tombstone was pruned): it
    /// can never be written again (ADR 0012).
    Gone,
    /// Approving a draft some of whose photos have not reached the depot yet (ADR 0013): the
    /// reviewer tries again once they have arrived.
    PhotosPending,
    /// A code from a newer server.
    #[serde(other)]
    Unknown,
}

impl RejectCode {
    /// Every code a depot refuses with (all but `Unknown`, which only a phone reads, from a
    /// newer depot).
    pub const DEPOT_REFUSALS: [RejectCode; 12] = [
        RejectCode::Forbidden,
        RejectCode::NotFound,
        RejectCode::IllegalTransition,
        RejectCode::Invalid,
        RejectCode::ClockAhead,
        RejectCode::UnsupportedKind,
        RejectCode::Malformed,
        RejectCode::IdReused,
        RejectCode::TooOldToReplay,
        RejectCode::Locked,
        RejectCode::Gone,
        RejectCode::PhotosPending,
    ];

    pub fn code(self) -> &'static str {
        match self {
            RejectCode::Forbidden => "forbidden",
            RejectCode::NotFound => "not_found",
            RejectCode::IllegalTransition => "illegal_transition",
            RejectCode::Invalid => "invalid",
            RejectCode::ClockAhead => "clock_ahead",
            RejectCode::UnsupportedKind => "unsupported_kind",
            RejectCode::Malformed => "malformed",
            RejectCode::IdReused => "id_reused",
            RejectCode::TooOldToReplay => "too_old_to_replay",
            RejectCode::Locked => "locked",
            RejectCode::Gone => "gone",
            RejectCode::PhotosPending => "photos_pending",
            RejectCode::Unknown => "unknown",
        }
    }

    /// The code at the head of a refusal as a phone keeps it (`Rejection`'s text, "code:
    /// detail"), `Unknown` for any other text (a newer depot's code, a whole request refused).
    pub fn of_reason(reason: &str) -> RejectCode {
        let head = reason.split(':').next().unwrap_or_default().trim();
        RejectCode::DEPOT_REFUSALS.into_iter().find(|c| c.code() == head).unwrap_or(RejectCode::Unknown)
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}: {detail}", code.code())]
pub struct Rejection {
    pub code: RejectCode,
    pub detail: String,
}

impl Rejection {
    pub fn new(code: RejectCode, detail: impl Into<String>) -> Self {
        Rejection { code, detail: detail.into() }
    }
}

/// The server's answer to one mutation. Stored by the server, so a replay gets the very same.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct MutationResult {
    pub counter: u64,
    /// `None`: applied. `Some`: refused, and nothing of it stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejected: Option<Rejection>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct PushResponse {
    pub protocol: u32,
    pub results: Vec<MutationResult>,
    /// The server's clock: the phone's HLC observes it (so a phone whose clock is off still
    /// stamps within bounds).
    pub server_time: Timestamp,
    #[serde(flatten)]
    pub extra: Extra,
}

/// One record as the server holds it now (pull sends whole records, newest state only).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Change {
    pub kind: String,
    pub id: String,
    pub body: serde_json::Value,
}

/// A record that left the caller's scope (an order reassigned to another artisan, an artisan
/// moved to another mentor): the phone removes its copy (ADR 0012).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ScopeExit {
    pub kind: String,
    pub id: String,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct PullResponse {
    pub protocol: u32,
    pub changes: Vec<Change>,
    /// Records that left the caller's scope, in this page's part of the feed. Omitted when
    /// empty; a phone that does not know the field ignores it (it keeps the stale copies).
    /// Apply them before `changes`: a record in both came back after it left.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exits: Vec<ScopeExit>,
    /// Pass back as `cursor` to get what changed after this page.
    pub cursor: u64,
    /// More pages wait: pull again at once.
    pub more: bool,
    pub server_time: Timestamp,
    #[serde(flatten)]
    pub extra: Extra,
}

/// What a pull from a cursor would bring (`GET /v1/sync/estimate`), counted by the depot over
/// the caller's scope without sending it: the phone tells before a sync what it will cost.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct PullEstimate {
    pub protocol: u32,
    /// Records the feed would send, and scope exits.
    pub changes: u64,
    pub exits: u64,
    /// Their bytes as JSON in the pages, before gzip: the most the pages' bodies can take.
    pub bytes: u64,
    /// About what the pages take on the wire gzipped: the first page is compressed and its
    /// ratio applied to the rest. (Absent from a depot that does not tell: take `bytes`.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gzip_bytes: Option<u64>,
    /// Pages (one request each) at the phone's page size.
    pub pages: u64,
    /// The cursor cannot be pulled from (expired or past the depot's head): the counts are of
    /// the full re-sync from 0 that the phone's next pull starts.
    pub resync: bool,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A draft as the server sends it: its document and its review state.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct DraftBody {
    pub owner: String,
    pub status: String,
    pub doc: DocState,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A profile (document) of one account.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ProfileBody {
    pub owner: String,
    pub doc: DocState,
    #[serde(flatten)]
    pub extra: Extra,
}

impl ProfileBody {
    /// A text field's current value (`None` if never set, or not text).
    pub fn text(&self, field: &str) -> Option<&str> {
        self.doc.value(field).and_then(|v| v.as_str())
    }
}

/// An order as the server holds it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct OrderBody {
    pub status: String,
    /// The assigned artisan's account id.
    #[serde(default)]
    pub artisan_id: Option<String>,
    pub product: String,
    /// The published product the order is for (`Kind::Product` id), when it came from the shop.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_id: Option<String>,
    pub quantity: u32,
    pub price_minor: i64,
    /// Where the order came from ("shop", a partner's name) and its reference there.
    pub source: String,
    pub external_ref: String,
    /// The last command applied (its stamp), for the UI's "updated" time.
    pub updated_hlc: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The day the finished pieces are due at the depot (`YYYY-MM-DD`, a [`crate::dates::Day`]),
    /// if the order names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<String>,
    /// What happened to the order, oldest first: its creation, then each command applied
    /// (appended by [`crate::workflow::apply_order_command`] on both sides), the latest
    /// [`crate::limits::ORDER_HISTORY_MAX`] kept.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<OrderEvent>,
    /// Events dropped from the front of `history` to keep it bounded.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub history_dropped: u32,
    #[serde(flatten)]
    pub extra: Extra,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// One step in an order's history.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct OrderEvent {
    /// [`OrderEvent::CREATED`], or the code of the command applied.
    pub event: String,
    /// The order's status after it.
    pub status: String,
    /// When: the command's stamp (its wall clock is the time shown).
    pub hlc: Timestamp,
    /// The reason given with a decline, a failed check or a cancellation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The photo taken at a quality check (its SHA-256: a blob at the depot), if one was.
    /// Absent from every other event, and from the JSON when absent, so histories written
    /// before it existed read and serialize as they did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo: Option<String>,
}

impl OrderEvent {
    /// The order was imported (from a shop or a partner) or created by operations.
    pub const CREATED: &'static str = "created";
    /// The order was sold from the depot's stock: it starts at the depot, its pieces checked when
    /// they were received into stock (ADR 0026).
    pub const FROM_STOCK: &'static str = "from_stock";
}

/// A stock entry as the server sends it: the entry and the product's owner.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct StockBody {
    pub owner: String,
    pub entry: LedgerEntry,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A refused mutation, sent back to the account that pushed it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct RejectionBody {
    pub device_id: String,
    pub counter: u64,
    pub kind: String,
    pub record_id: String,
    pub rejection: Rejection,
    /// What was asked (a command's name, or the fields written).
    pub summary: String,
}

// Enrollment and credentials. A request type is named for what it asks, a reply for what it
// gives; the phone and the depot use these very types.

/// A device's credential, as issued at enrollment.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct DeviceCredential {
    pub account_id: String,
    pub role: crate::roles::Role,
    pub device_id: String,
    pub token: String,
    pub token_expires_ms: u64,
}

/// The answer to `POST /v1/enroll/finish` (the exchange is in [`crate::enrollment`]): the
/// credential, the depot's clock, and its proof that it holds the key the phone's connection saw.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct EnrollDeviceReply {
    #[serde(flatten)]
    pub credential: DeviceCredential,
    pub server_time: Timestamp,
    pub depot_proof: String,
}

/// The answer to `POST /v1/token`: the next token (the current one works until it is used).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct RotatedToken {
    pub token: String,
    pub token_expires_ms: u64,
}

/// `POST /v1/enrollments`: create an account and its first code.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct EnrollmentRequest {
    pub role: crate::roles::Role,
    pub name: String,
    /// For an artisan: the mentor who coaches them (a mentor enrolling sets themselves).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mentor_id: Option<String>,
    /// The depot the account belongs to (several depots in one deployment): operations name
    /// any, staff and mentors their own (the default when none is named: operations' the
    /// deployment's default depot, others' their own). An operations account belongs to none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depot_id: Option<String>,
}

/// A one-time enrollment code for an account, shown once and typed into its phone.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct EnrollmentCode {
    pub account_id: String,
    pub code: String,
    pub expires_ms: u64,
}

/// One of a mentor's mentees and how her phone stands (`GET /v1/mentees`).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Mentee {
    pub account_id: String,
    pub name: String,
    /// Her phones enrolled and not revoked.
    pub phones: u32,
    /// A one-time code issued for her and neither used nor expired.
    pub code_waiting: bool,
    /// When one of her phones last reached the depot (to the minute), if ever.
    pub last_seen_ms: Option<u64>,
    /// Her orders past their due day that she still owes (`workflow::order_is_late`).
    #[serde(default)]
    pub late_orders: u32,
    /// Her phones enrolled and not revoked, most recently seen first (at most
    /// [`crate::limits::MENTEE_DEVICES_MAX`]): what the mentor may revoke when one is lost.
    #[serde(default)]
    pub devices: Vec<MenteeDevice>,
}

/// One of a mentee's phones.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct MenteeDevice {
    pub device_id: String,
    pub enrolled_ms: u64,
    pub last_seen_ms: Option<u64>,
}

/// A mentor's mentees, by name (at most [`crate::limits::MENTEES_MAX`]).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct MenteesPage {
    pub mentees: Vec<Mentee>,
}

/// Error body of every non-2xx answer: a stable code and a human detail.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ApiErrorBody {
    pub error: String,
    pub detail: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_time: Option<Timestamp>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_refusal_gives_back_its_code() {
        for code in RejectCode::DEPOT_REFUSALS {
            let kept = Rejection::new(code, "some detail: with a colon").to_string();
            assert_eq!(RejectCode::of_reason(&kept), code, "{kept}");
        }
        assert_eq!(RejectCode::of_reason("too_large: 2 MiB"), RejectCode::Unknown);
        assert_eq!(RejectCode::of_reason(""), RejectCode::Unknown);
    }

    #[test]
    fn unknown_fields_survive_a_round_trip_at_every_level() {
        let text = r#"{"protocol":1,"device_id":"d","future":{"x":1},"mutations":[
            {"counter":7,"kind":"draft","id":"r","fields":{"title":{"value":"Kikapu","hlc":"0000000003e80000000000000000000001","base":[]}},"hint":"new"}]}"#;
        let req: PushRequest = serde_json::from_str(text).unwrap();
        assert_eq!(req.extra["future"]["x"], 1);
        assert_eq!(req.mutations[0].extra["hint"], "new");
        let back: serde_json::Value = serde_json::to_value(&req).unwrap();
        let orig: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(back["future"], orig["future"]);
        assert_eq!(back["mutations"][0]["hint"], "new");
        assert_eq!(back["mutations"][0]["fields"]["title"]["value"], "Kikapu");
    }

    /// Parse `text` as `T` and write it again: the same JSON, every unknown member in place.
    fn round_trips<T: serde::de::DeserializeOwned + Serialize>(text: &str) {
        let orig: serde_json::Value = serde_json::from_str(text).unwrap();
        let back = serde_json::to_value(serde_json::from_str::<T>(text).unwrap()).unwrap();
        assert_eq!(back, orig, "{}", std::any::type_name::<T>());
    }

    #[test]
    fn unknown_members_of_everything_stored_and_sent_on_survive_a_round_trip() {
        let t = r#""0000000003e80000000000000000000001""#;
        let u = r#""0000000003e70000000000000000000002""#;
        let write = format!(r#"{{"value":{{"a":[1,-2,2.5]}},"hlc":{t},"base":[{u}],"x_lang":"sw","x_n":18446744073709551615}}"#);
        round_trips::<FieldWrite>(&write);
        let push = format!(
            r#"{{"protocol":1,"device_id":"d","cursor":3,"x_battery":0.5,"mutations":[
            {{"counter":1,"kind":"draft","id":"r","fields":{{"title":{write}}},"x_origin":"camera"}},
            {{"counter":2,"kind":"order","id":"o","command":{{"name":"accept","hlc":{t},"args":{{"x_eta":4}},"x_why":"fast"}}}},
            {{"counter":3,"kind":"stock","id":"s","entry":{{"id":"s","product_id":"p","delta":2,"reason":"received","hlc":{t},"x_bin":"A4"}}}}]}}"#
        );
        round_trips::<PushRequest>(&push);
        let doc = format!(r#"{{"fields":{{"title":{write}}},"conflicts":{{"title":{{{u}:{write}}}}},"x_schema":2}}"#);
        round_trips::<DocState>(&doc);
        round_trips::<DraftBody>(&format!(r#"{{"owner":"a","status":"draft","doc":{doc},"x_tags":["new"]}}"#));
        round_trips::<ProfileBody>(&format!(r#"{{"owner":"a","doc":{doc},"x_verified":true}}"#));
        round_trips::<OrderBody>(&format!(
            r#"{{"status":"new","artisan_id":null,"product":"P","quantity":1,"price_minor":5,"source":"shop","external_ref":"R","updated_hlc":{t},"x_rush":true}}"#
        ));
        round_trips::<StockBody>(&format!(
            r#"{{"owner":"a","entry":{{"id":"s","product_id":"p","delta":-1,"reason":"sold","hlc":{t},"x_bin":"A4"}},"x_depot":"Kisumu"}}"#
        ));
    }

    #[test]
    fn scope_exits_are_omitted_when_empty_and_an_older_reader_keeps_them_aside() {
        let page = PullResponse {
            protocol: 1,
            changes: vec![],
            exits: vec![],
            cursor: 4,
            more: false,
            server_time: Timestamp::default(),
            extra: Extra::new(),
        };
        let text = serde_json::to_string(&page).unwrap();
        assert!(!text.contains("exits"), "{text}");
        let with = r#"{"protocol":1,"changes":[],"exits":[{"kind":"order","id":"o1"}],"cursor":9,"more":false,"server_time":"0000000003e80000000000000000000001"}"#;
        let read: PullResponse = serde_json::from_str(with).unwrap();
        assert_eq!(read.exits, vec![ScopeExit { kind: "order".into(), id: "o1".into(), extra: Extra::new() }]);
        // A reader of the page as it was before exits existed: the field lands in its bag.
        #[derive(Deserialize)]
        struct OlderPage {
            changes: Vec<Change>,
            #[serde(flatten)]
            extra: Extra,
        }
        let old: OlderPage = serde_json::from_str(with).unwrap();
        assert!(old.changes.is_empty());
        assert_eq!(old.extra["exits"][0]["id"], "o1");
    }

    #[test]
    fn a_mutation_sets_exactly_one_operation_and_a_known_kind() {
        let m = |s: &str| serde_json::from_str::<Mutation>(s).unwrap();
        assert_eq!(m(r#"{"counter":1,"kind":"order","id":"x"}"#).op().unwrap_err().code, RejectCode::Malformed);
        assert_eq!(m(r#"{"counter":1,"kind":"spaceship","id":"x"}"#).kind().unwrap_err().code, RejectCode::UnsupportedKind);
        assert_eq!(m(r#"{"counter":1,"kind":"rejection","id":"x"}"#).kind().unwrap_err().code, RejectCode::UnsupportedKind);
        assert_eq!(m(r#"{"counter":1,"kind":"stock","id":"x"}"#).kind().unwrap(), Kind::Stock);
    }

    #[test]
    fn a_summary_names_at_most_eight_fields_each_cut_to_the_name_limit() {
        let long = "a".repeat(1 << 20);
        let mut fields = BTreeMap::new();
        for i in 0..20 {
            fields.insert(format!("{long}{i:02}"), FieldWrite::new(1.into(), Timestamp::default(), vec![]));
        }
        let m = Mutation { fields: Some(fields), ..Mutation::new(Kind::Draft, "x") };
        let summary = m.summary();
        assert!(summary.len() <= "edit ".len() + 8 * (FIELD_NAME_MAX_BYTES + 2), "{} bytes", summary.len());
    }

    #[test]
    fn bad_stamps_and_codes_from_newer_servers_are_typed() {
        assert!(serde_json::from_str::<Timestamp>("\"nope\"").is_err());
        let r: Rejection = serde_json::from_str(r#"{"code":"quota_exceeded","detail":"x"}"#).unwrap();
        assert_eq!(r.code, RejectCode::Unknown);
    }
}
