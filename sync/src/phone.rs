//! The phone's side of the protocol as pure steps, driven by the phone core's sync engine
//! (which does the SQL and the HTTP around them), in the manner of automerge's sync state:
//!
//! - [`PushRound`]: plan the requests that carry one outbox batch, and fold each answer into
//!   what happened to every mutation (applied, refused and parked as wedged, or unanswered and
//!   left pending). A batch the depot refuses as a whole (it cannot read it, or it is too big)
//!   is bisected until the one mutation at fault is found and parked, so one bad item never
//!   blocks the queue.
//! - [`PullRound`]: the change feed, page by page, with its cursor never moving back; after
//!   the depot says the cursor expired (its tombstones were pruned), a full re-sync from 0
//!   that ends in a sweep of what did not come back (ADR 0012).
//! - [`leave_action`]: what the phone does with a record that leaves it (a scope exit, a
//!   record refused as `gone`, one the full re-sync did not bring back).
//! - [`decide_pulled_field`], [`pulled_review_status`]: a pulled change against this phone's
//!   pending local writes (the very merge rule the depot runs).
//! - [`learn_clock`], [`rebase_map`], [`restamp`]: what the depot's clock teaches, and the
//!   re-stamping of edits made while the phone's clock ran too far ahead.
//! - [`settle_order`], [`settle_document`]: the depot's copy brought up to date after one of
//!   this phone's own mutations was applied (the depot does not echo clean writes back).
//!
//! No I/O: the wall clock, the outbox rows and the depot's answers all come in as arguments.
//! `tests` runs a phone against an in-memory depot (the depot's own [`crate::depot`] steps)
//! with lost, duplicated and reordered replies.

use crate::document::{DocState, FieldWrite};
use crate::hlc::{ClockError, Hlc, Timestamp, MAX_COUNTER};
use crate::limits::{CLOCK_AHEAD_MAX_MS, PULL_PAGE_ASKED, PULL_PAGE_MAX, TOKEN_RENEW_BEFORE_MS};
use crate::wire::{
    CommandBody, Extra, Mutation, OrderBody, PullResponse, PushRequest, PushResponse, Rejection, PROTOCOL_VERSION,
};
use crate::workflow::{apply_order_command, draft_target, order_target, DraftCommand, DraftStatus, OrderCommand, OrderStatus};
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

/// The depot's answer to one push request, as the transport saw it.
#[derive(Clone, Debug, PartialEq)]
pub enum PushAnswer {
    /// An answer per mutation (possibly fewer, if the depot misbehaves).
    Answered(PushResponse),
    /// The request was refused as a whole because the depot could not read it or it was too
    /// large (HTTP 400 or 413). Other failures (offline, 5xx, credentials) end the sync instead.
    RefusedWhole { code: String, detail: String },
}

/// What became of one mutation.
#[derive(Clone, Debug, PartialEq)]
pub enum Settled {
    /// Applied by the depot (now or on an earlier delivery): it leaves the outbox.
    Applied { counter: u64 },
    /// Refused: parked as wedged with `reason`, visible and retryable.
    Refused { counter: u64, reason: String, rejection: Option<Rejection> },
}

impl Settled {
    pub fn counter(&self) -> u64 {
        match self {
            Settled::Applied { counter } | Settled::Refused { counter, .. } => *counter,
        }
    }
}

/// One answer folded.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Folded {
    pub settled: Vec<Settled>,
    /// Sent but not answered: they stay pending and go again at the next sync.
    pub unanswered: Vec<u64>,
    /// The depot's clock, when the answer carried it.
    pub server_time: Option<Timestamp>,
}

/// An answer the fold cannot accept. The round is unchanged by it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FoldError {
    #[error("an answer arrived while no request was in flight")]
    NothingInFlight,
    #[error("the answer names counter {0}, which this request did not carry")]
    UnknownCounter(u64),
    #[error("the pull cursor went back from {from} to {to}")]
    CursorWentBack { from: u64, to: u64 },
    #[error("a pull page of {0} changes is larger than the protocol allows")]
    PageTooLarge(usize),
    #[error("the depot said the cursor expired twice in one sync")]
    ExpiredAgain,
}

/// One outbox batch on its way to the depot. Make it with the pending mutations in counter
/// order; call [`PushRound::next_request`], send it, give the answer to [`PushRound::receive`],
/// until `next_request` returns `None`.
#[derive(Clone, Debug)]
pub struct PushRound {
    device_id: String,
    cursor: u64,
    mutations: Vec<Mutation>,
    /// Groups still to send, the next one last (a stack: bisection pushes halves on it).
    to_send: Vec<Range<usize>>,
    in_flight: Option<Range<usize>>,
}

impl PushRound {
    pub fn new(device_id: &str, cursor: u64, mutations: Vec<Mutation>) -> PushRound {
        let mut to_send = Vec::new();
        if !mutations.is_empty() {
            to_send.push(0..mutations.len());
        }
        PushRound { device_id: device_id.to_string(), cursor, mutations, to_send, in_flight: None }
    }

    /// The request to send now. While a request is in flight and unanswered (its reply was
    /// lost), the same request again: the depot answers a replay with its stored answers.
    pub fn next_request(&mut self) -> Option<PushRequest> {
        if self.in_flight.is_none() {
            self.in_flight = self.to_send.pop();
        }
        let group = self.in_flight.clone()?;
        Some(PushRequest {
            protocol: PROTOCOL_VERSION,
            device_id: self.device_id.clone(),
            cursor: self.cursor,
            mutations: self.mutations[group].to_vec(),
            extra: Extra::new(),
        })
    }

    /// Whether every group has been sent and answered.
    pub fn is_done(&self) -> bool {
        self.in_flight.is_none() && self.to_send.is_empty()
    }

    /// Fold the depot's answer to the request in flight.
    pub fn receive(&mut self, answer: PushAnswer) -> Result<Folded, FoldError> {
        let group = self.in_flight.clone().ok_or(FoldError::NothingInFlight)?;
        let sent: Vec<u64> = self.mutations[group.clone()].iter().map(|m| m.counter).collect();
        let folded = match answer {
            PushAnswer::RefusedWhole { code, detail } => {
                if group.len() == 1 {
                    let reason = format!("{code}: {detail}");
                    Folded { settled: vec![Settled::Refused { counter: sent[0], reason, rejection: None }], ..Folded::default() }
                } else {
                    // Bisect: the first half goes next, then the second.
                    let mid = group.start + group.len() / 2;
                    self.to_send.push(mid..group.end);
                    self.to_send.push(group.start..mid);
                    Folded::default()
                }
            }
            PushAnswer::Answered(resp) => {
                let wanted: BTreeSet<u64> = sent.iter().copied().collect();
                if let Some(stray) = resp.results.iter().find(|r| !wanted.contains(&r.counter)) {
                    return Err(FoldError::UnknownCounter(stray.counter));
                }
                let mut by_counter = BTreeMap::new();
                for r in resp.results {
                    // A duplicated answer for one counter: the first counts.
                    by_counter.entry(r.counter).or_insert(r);
                }
                let mut folded = Folded { server_time: Some(resp.server_time), ..Folded::default() };
                for counter in sent {
                    match by_counter.remove(&counter) {
                        Some(r) => folded.settled.push(match r.rejected {
                            None => Settled::Applied { counter },
                            Some(rej) => Settled::Refused { counter, reason: rej.to_string(), rejection: Some(rej) },
                        }),
                        None => folded.unanswered.push(counter),
                    }
                }
                folded
            }
        };
        self.in_flight = None;
        Ok(folded)
    }
}

/// The change feed, page by page.
///
/// A *full* round re-syncs from 0 after the depot answered `cursor_expired`: it asks for
/// every record in scope (`full=1`: the device's own clean writes too), and once its last page
/// is in, [`PullRound::sweep_due`] says the phone removes what it held and did not get back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PullRound {
    cursor: u64,
    done: bool,
    full: bool,
    /// Whether this round has already started over after an expiry.
    restarted: bool,
}

/// What to ask the depot for next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PullQuery {
    pub cursor: u64,
    pub limit: usize,
    pub protocol: u32,
    /// Part of a full re-sync: do not skip the device's own clean writes.
    pub full: bool,
}

impl PullQuery {
    /// The request's path and query string.
    pub fn path(&self) -> String {
        let full = if self.full { "&full=1" } else { "" };
        format!("/v1/sync/pull?cursor={}&limit={}&protocol={}{full}", self.cursor, self.limit, self.protocol)
    }

    /// The path asking the depot what this pull would bring (`PullEstimate`), not the pages.
    pub fn estimate_path(&self) -> String {
        format!("/v1/sync/estimate?cursor={}&limit={}&protocol={}", self.cursor, self.limit, self.protocol)
    }
}

impl PullRound {
    pub fn new(cursor: u64) -> PullRound {
        PullRound { cursor, done: false, full: false, restarted: false }
    }

    /// A full re-sync, started or resumed at `cursor` (its marks are still on the phone).
    pub fn full(cursor: u64) -> PullRound {
        PullRound { full: true, ..PullRound::new(cursor) }
    }

    pub fn cursor(&self) -> u64 {
        self.cursor
    }

    pub fn is_full(&self) -> bool {
        self.full
    }

    /// The next page to ask for, or `None` when the feed is drained.
    pub fn next_query(&self) -> Option<PullQuery> {
        (!self.done).then_some(PullQuery {
            cursor: self.cursor,
            limit: PULL_PAGE_ASKED,
            protocol: PROTOCOL_VERSION,
            full: self.full,
        })
    }

    /// Check a page and move the cursor past it. The caller applies the page (exits first,
    /// then changes) and stores the returned cursor in the same transaction.
    pub fn receive(&mut self, page: &PullResponse) -> Result<u64, FoldError> {
        if page.cursor < self.cursor {
            return Err(FoldError::CursorWentBack { from: self.cursor, to: page.cursor });
        }
        let entries = page.changes.len() + page.exits.len();
        if entries > PULL_PAGE_MAX {
            return Err(FoldError::PageTooLarge(entries));
        }
        self.cursor = page.cursor;
        self.done = !page.more;
        Ok(self.cursor)
    }

    /// The depot answered `cursor_expired`: start over from 0 as a full re-sync (the caller
    /// has marked what it holds and stored cursor 0, in one transaction). Once per round: a
    /// second expiry means something was pruned during the re-sync; this sync then ends with
    /// the error, and the next one starts over from the stored cursor 0.
    pub fn restart_full(&mut self) -> Result<(), FoldError> {
        if self.restarted {
            return Err(FoldError::ExpiredAgain);
        }
        *self = PullRound { restarted: true, ..PullRound::full(0) };
        Ok(())
    }

    /// Whether the page just received ended a full re-sync: remove, in the page's own
    /// transaction, every marked record it did not bring back.
    pub fn sweep_due(&self) -> bool {
        self.full && self.done
    }

    /// Stop here (another sync moved the stored cursor meanwhile; its data is as new).
    pub fn stop(&mut self) {
        self.done = true;
    }
}

/// Why a record leaves this phone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Leaving {
    /// The depot's feed says the account no longer sees it (reassigned, mentee moved).
    ScopeExit,
    /// A push to it was refused `gone`: it was deleted and the depot no longer keeps it.
    Gone,
    /// A full re-sync ended without it: deleted or out of scope while the phone was away.
    MissingFromFullFeed,
}

impl Leaving {
    /// The reason given to the outbox items on the record, parked as refused (shown in the
    /// conflicts list, where the user discards them or, if the record came back, retries).
    pub fn reason(self) -> &'static str {
        match self {
            Leaving::ScopeExit | Leaving::MissingFromFullFeed => {
                "left_scope: this record is no longer shared with this phone (reassigned, moved to another mentor, or deleted)"
            }
            Leaving::Gone => "gone: this record was deleted",
        }
    }
}

/// What the phone does with a record that leaves it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeaveAction {
    /// Remove the local copy; park the record's outbox items with [`Leaving::reason`].
    Remove,
    /// Keep it: it has outbox items, this phone's unsynced work, whose push decides its fate.
    KeepUnsynced,
}

/// A scope exit and a `gone` refusal are the depot's word on that very record: it goes. A
/// record the full re-sync did not bring back goes too, unless it has outbox items (pending or
/// refused): an artisan's unsynced work is never removed silently.
pub fn leave_action(why: Leaving, has_outbox_items: bool) -> LeaveAction {
    match why {
        Leaving::MissingFromFullFeed if has_outbox_items => LeaveAction::KeepUnsynced,
        _ => LeaveAction::Remove,
    }
}

/// What to do with one pulled field of a document this phone owns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PulledField {
    /// The depot's value wins: store it with its stamp.
    Take,
    /// The local value is newer (an edit not yet pushed): keep it on screen.
    KeepLocal,
    /// The phone already holds exactly this write.
    AlreadyHeld,
}

/// Decide a pulled field write against the phone's current write of that field (if any), by
/// the very merge rule the depot runs ([`DocState::apply`]): the greater stamp wins.
pub fn decide_pulled_field(field: &str, local: Option<&FieldWrite>, server: &FieldWrite) -> PulledField {
    if local.is_some_and(|l| l.hlc == server.hlc) {
        return PulledField::AlreadyHeld;
    }
    let mut merged = DocState::default();
    if let Some(l) = local {
        let _ = merged.apply(field, FieldWrite { base: vec![], ..l.clone() });
    }
    let _ = merged.apply(field, FieldWrite { base: vec![], ..server.clone() });
    if merged.stamp(field) == Some(server.hlc) {
        PulledField::Take
    } else {
        PulledField::KeepLocal
    }
}

/// The review status to store for an own draft: the depot's, unless a review command of this
/// phone's is still in flight (then the optimistic local one stays); `None` keeps the local one.
pub fn pulled_review_status(server_status: &str, command_pending: bool) -> Option<DraftStatus> {
    if command_pending {
        return None;
    }
    DraftStatus::from_code(server_status)
}

/// What one of the depot's clock readings teaches the phone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClockLesson {
    /// Add to the phone's wall clock to get the depot's time.
    pub offset_ms: i64,
    /// When the phone's clock ran further ahead than the depot accepts: every stamp above this
    /// one must be re-stamped ([`rebase_map`]).
    pub rebase_above: Option<Timestamp>,
}

/// Learn from the depot's time `server`, given the phone's wall clock `local_wall_ms` and the
/// wall part of the greatest stamp it has issued or seen.
pub fn learn_clock(local_wall_ms: i64, hlc_wall_ms: u64, server: Timestamp) -> ClockLesson {
    let limit_ms = server.wall_ms.saturating_add(CLOCK_AHEAD_MAX_MS);
    ClockLesson {
        offset_ms: server.wall_ms as i64 - local_wall_ms,
        rebase_above: (hlc_wall_ms > limit_ms).then_some(Timestamp { wall_ms: limit_ms, counter: MAX_COUNTER, node: u64::MAX }),
    }
}

/// New stamps for `olds` (stamps above the bound, never accepted anywhere), in their original
/// order, issued by this phone's clock brought back to the depot's time `server`. Returns the
/// map and the clock after the last one.
pub fn rebase_map(
    olds: impl IntoIterator<Item = Timestamp>,
    server: Timestamp,
    node: u64,
    physical_ms: u64,
) -> Result<(BTreeMap<Timestamp, Timestamp>, Hlc), ClockError> {
    let olds: BTreeSet<Timestamp> = olds.into_iter().collect();
    let mut clock = Hlc { wall_ms: server.wall_ms, counter: server.counter, node };
    let mut map = BTreeMap::new();
    for old in olds {
        map.insert(old, clock.tick(physical_ms)?);
    }
    Ok((map, clock))
}

/// A mutation with its stamps replaced by `map` (bases that would no longer be older than
/// their write are dropped).
pub fn restamp(mut m: Mutation, map: &BTreeMap<Timestamp, Timestamp>) -> Mutation {
    let new_of = |t: &Timestamp| map.get(t).copied().unwrap_or(*t);
    if let Some(fields) = &mut m.fields {
        for w in fields.values_mut() {
            w.hlc = new_of(&w.hlc);
            w.base = w.base.iter().map(new_of).filter(|b| *b < w.hlc).collect();
        }
    }
    if let Some(c) = &mut m.command {
        c.hlc = new_of(&c.hlc);
    }
    if let Some(e) = &mut m.entry {
        e.hlc = new_of(&e.hlc);
    }
    m
}

/// Whether the device credential should be renewed now.
pub fn needs_new_token(token_expires_ms: u64, now_ms: u64) -> bool {
    token_expires_ms.saturating_sub(now_ms) < TOKEN_RENEW_BEFORE_MS
}

/// Apply an order command the depot acknowledged to the phone's copy of the order, by the same
/// table and the same function the depot used. Returns whether the order changed.
pub fn settle_order(order: &mut OrderBody, c: &CommandBody) -> bool {
    let to = OrderStatus::from_code(&order.status).zip(OrderCommand::from_code(&c.name)).and_then(|(f, k)| order_target(f, k));
    match to {
        Some(to) => {
            apply_order_command(order, to, c);
            true
        }
        None => false,
    }
}

/// Apply an acknowledged write or review command to the phone's copy of a document it does not
/// own (`{"doc": .., "status": ..}` as the depot sends it).
pub fn settle_document(
    body: &mut serde_json::Value,
    fields: Option<&BTreeMap<String, FieldWrite>>,
    command: Option<&CommandBody>,
) -> Result<(), serde_json::Error> {
    let mut doc: DocState = serde_json::from_value(body["doc"].clone())?;
    for (name, w) in fields.into_iter().flatten() {
        let _ = doc.apply(name, w.clone());
    }
    // In the form the depot sends documents in: without the replaced stamps, which only the
    // depot keeps (a pull would bring the copy back to this form anyway).
    body["doc"] = serde_json::to_value(doc.for_phone())?;
    let status = body.get("status").and_then(|s| s.as_str()).and_then(DraftStatus::from_code);
    if let (Some(c), Some(status)) = (command, status) {
        if let Some(to) = DraftCommand::from_code(&c.name).and_then(|k| draft_target(status, k)) {
            body["status"] = to.code().into();
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
