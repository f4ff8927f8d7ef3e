//! Payout batches and the payouts' persisted state (issue 11 item 2, ADR 0019): the SQL side of
//! the payout state machine. `crate::payouts` (the engine) calls Daraja; every state it acts on
//! is written here first, in its own committed transaction.
//!
//! The seam with the earnings ledger is narrow on purpose: a batch is made from a list of
//! [`NewPayout`] (id, artisan, number, amount) by [`create_batch`], and what became of each
//! payout is read back in the order it ended with [`finished_since`] (a failed one carries its
//! reason, so the ledger can credit the artisan's balance back).

use super::accounts::Caller;
use super::{now_ms, ApiError, Db};
use crate::mpesa::amount::{Msisdn, WholeKes};
use crate::store::sql::{params, OptionalExtension, Tx};
use fundi_sync::money::Money;
use fundi_sync::Role;
use serde::{Deserialize, Serialize};

/// Above this total (minor units) a second operations account must approve a batch.
pub const DEFAULT_APPROVAL_ABOVE_MINOR: i64 = 50_000 * 100;
/// M-Pesa's bounds of one B2C payment (KSh 10 to 250,000), in minor units.
pub const AMOUNT_MIN_MINOR: i64 = 10 * 100;
pub const AMOUNT_MAX_MINOR: i64 = 250_000 * 100;
/// Most payouts in one batch.
pub const BATCH_MAX: usize = 1000;

/// How batches are created: the approval threshold (configuration, `serve
/// --payout-approval-above-kes`).
#[derive(Clone, Copy, Debug)]
pub struct PayoutPolicy {
    pub approval_above_minor: i64,
}

impl Default for PayoutPolicy {
    fn default() -> Self {
        PayoutPolicy { approval_above_minor: DEFAULT_APPROVAL_ABOVE_MINOR }
    }
}

/// One payout to make: what the earnings ledger hands over.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct NewPayout {
    /// Chosen by the caller, unique for ever: Daraja's OriginatorConversationID (printable
    /// ASCII, 1 to 64 characters; a UUID fits).
    pub id: String,
    /// The account paid: an artisan (her earnings) or a mentor (her commission).
    pub artisan_id: String,
    /// Her M-Pesa number as written (`07…`, `+254…`, `254…`).
    pub msisdn: String,
    /// Minor units of KES, whole shillings.
    pub amount_minor: i64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewBatch {
    /// Inclusive calendar days, `YYYY-MM-DD`.
    pub period_from: String,
    pub period_to: String,
    pub payouts: Vec<NewPayout>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PayoutState {
    /// Waiting to be sent (first time, or again after a refusal that moved no money).
    Queued,
    /// Written before the B2C request: it may be on its way. After a restart, reconciled.
    Sent,
    /// Daraja accepted the request (ResponseCode 0): the result is awaited.
    Accepted,
    /// Daraja may have accepted it (timeout, dropped connection, duplicate): a status query
    /// decides before anything is sent again.
    Unknown,
    /// Paid, confirmed by a status query. Final.
    Paid,
    /// Not paid, confirmed (or never accepted). Final: the amount goes back to her balance.
    Failed,
}

impl PayoutState {
    pub fn code(self) -> &'static str {
        match self {
            PayoutState::Queued => "queued",
            PayoutState::Sent => "sent",
            PayoutState::Accepted => "accepted",
            PayoutState::Unknown => "unknown",
            PayoutState::Paid => "paid",
            PayoutState::Failed => "failed",
        }
    }
    pub fn from_code(s: &str) -> Option<PayoutState> {
        use PayoutState::*;
        [Queued, Sent, Accepted, Unknown, Paid, Failed].into_iter().find(|p| p.code() == s)
    }
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Payout {
    pub id: String,
    pub batch_id: String,
    pub artisan_id: String,
    pub msisdn: String,
    pub amount_minor: i64,
    pub state: PayoutState,
    pub attempts: i64,
    pub conversation_id: Option<String>,
    pub receipt: Option<String>,
    pub paid_minor: Option<i64>,
    pub failure_code: Option<String>,
    pub failure_reason: Option<String>,
    pub last_error: Option<String>,
    pub hint: Option<String>,
    pub queries: i64,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub finished_ms: Option<i64>,
    pub final_seq: Option<i64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Batch {
    pub id: String,
    pub period_from: String,
    pub period_to: String,
    pub created_by: String,
    pub created_ms: i64,
    pub total_minor: i64,
    pub approved_by: Option<String>,
    pub approved_ms: Option<i64>,
    pub state: String,
    /// Payouts by state (e.g. `{"paid": 3, "queued": 1}`).
    pub counts: std::collections::BTreeMap<String, i64>,
    /// In the answer to a single batch only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payouts: Option<Vec<Payout>>,
}

#[derive(Serialize)]
pub struct BatchList {
    pub batches: Vec<Batch>,
}

fn operations_only(caller: &Caller) -> Result<(), ApiError> {
    if caller.role != Role::Operations {
        return Err(ApiError::forbidden("only operations create, approve and read payout batches"));
    }
    Ok(())
}

/// A payout's id as Daraja carries it back.
fn check_id(id: &str) -> Result<(), ApiError> {
    if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::invalid(format!("payout id {id:?}: 1 to 64 printable ASCII characters")));
    }
    Ok(())
}

/// Create a batch of payouts as `caller` (operations only). At or under the policy's threshold
/// it is approved at once; above it, it waits for [`approve_batch`] by another operations
/// account. Every payout is checked (her account is an artisan's, the number a Kenyan mobile
/// number, the amount positive whole shillings, the id new); one bad payout refuses the batch.
pub fn create_batch(tx: &Tx, caller: &Caller, batch: &NewBatch, policy: PayoutPolicy) -> Result<Batch, ApiError> {
    operations_only(caller)?;
    let from = fundi_sync::dates::Day::parse(&batch.period_from).map_err(|_| ApiError::invalid("period_from: YYYY-MM-DD"))?;
    let to = fundi_sync::dates::Day::parse(&batch.period_to).map_err(|_| ApiError::invalid("period_to: YYYY-MM-DD"))?;
    if to < from {
        return Err(ApiError::invalid("the period ends before it starts"));
    }
    if batch.payouts.is_empty() || batch.payouts.len() > BATCH_MAX {
        return Err(ApiError::invalid(format!("a batch has 1 to {BATCH_MAX} payouts")));
    }
    let mut total: i64 = 0;
    let mut seen = std::collections::BTreeSet::new();
    let mut rows = Vec::with_capacity(batch.payouts.len());
    for p in &batch.payouts {
        check_id(&p.id)?;
        if !seen.insert(p.id.as_str()) {
            return Err(ApiError::invalid(format!("payout {} appears twice", p.id)));
        }
        let exists: bool = tx.query_row("SELECT EXISTS (SELECT 1 FROM payouts WHERE id = ?1)", [&p.id], |r| r.get(0))?;
        if exists {
            return Err(ApiError::conflict(format!("payout {} exists already", p.id)));
        }
        match super::accounts::get_account(tx, &p.artisan_id)? {
            Some(a) if matches!(a.role, Role::Artisan | Role::Mentor) => {}
            _ => {
                return Err(ApiError::invalid(format!(
                    "payout {}: {} is not an artisan's or a mentor's account",
                    p.id, p.artisan_id
                )))
            }
        }
        let msisdn = Msisdn::parse(&p.msisdn).map_err(|e| ApiError::invalid(format!("payout {}: {e}", p.id)))?;
        WholeKes::from_money(Money::kes_minor(p.amount_minor)).map_err(|e| ApiError::invalid(format!("payout {}: {e}", p.id)))?;
        if !(AMOUNT_MIN_MINOR..=AMOUNT_MAX_MINOR).contains(&p.amount_minor) {
            return Err(ApiError::invalid(format!("payout {}: M-Pesa pays KSh 10 to 250,000 in one payment", p.id)));
        }
        total = total.checked_add(p.amount_minor).ok_or_else(|| ApiError::invalid("the batch's total is too large"))?;
        rows.push((p, msisdn));
    }
    let id = uuid::Uuid::new_v4().to_string();
    let now = now_ms() as i64;
    let needs_approval = total > policy.approval_above_minor;
    let state = if needs_approval { "awaiting_approval" } else { "approved" };
    tx.execute(
        "INSERT INTO payout_batches (id, period_from, period_to, created_by, created_ms, total_minor, state)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![id, from.to_string(), to.to_string(), caller.account_id, now, total, state],
    )?;
    for (p, msisdn) in rows {
        tx.execute(
            "INSERT INTO payouts (id, batch_id, artisan_id, msisdn, amount_minor, state, created_ms, updated_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, 'queued', ?6, ?6)",
            params![p.id, id, p.artisan_id, msisdn.as_str(), p.amount_minor, now],
        )?;
    }
    get_batch(tx, caller, &id)
}

/// Approve a batch waiting for approval, as a second operations account. The creator may not
/// approve her own batch (`forbidden`); a batch approved already is left as it is (`conflict`).
pub fn approve_batch(tx: &Tx, caller: &Caller, batch_id: &str) -> Result<Batch, ApiError> {
    operations_only(caller)?;
    let row: Option<(String, String)> = tx
        .query_row("SELECT created_by, state FROM payout_batches WHERE id = ?1", [batch_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((created_by, state)) = row else {
        return Err(ApiError::not_found("no such payout batch"));
    };
    if created_by == caller.account_id {
        return Err(ApiError::forbidden("a batch is approved by another operations account than the one that created it"));
    }
    if state != "awaiting_approval" {
        return Err(ApiError::conflict(format!("the batch is {state}, not awaiting approval")));
    }
    tx.execute(
        "UPDATE payout_batches SET state = 'approved', approved_by = ?2, approved_ms = ?3 WHERE id = ?1",
        params![batch_id, caller.account_id, now_ms() as i64],
    )?;
    get_batch(tx, caller, batch_id)
}

fn batch_counts(tx: &Tx, batch_id: &str) -> Result<std::collections::BTreeMap<String, i64>, ApiError> {
    let mut q = tx.prepare_cached("SELECT state, COUNT(*) FROM payouts WHERE batch_id = ?1 GROUP BY state")?;
    let rows = q.query_map([batch_id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

const BATCH_COLUMNS: &str = "id, period_from, period_to, created_by, created_ms, total_minor, approved_by, approved_ms, state";

fn batch_row(r: &crate::store::sql::Row<'_>) -> crate::store::sql::Result<Batch> {
    Ok(Batch {
        id: r.get(0)?,
        period_from: r.get(1)?,
        period_to: r.get(2)?,
        created_by: r.get(3)?,
        created_ms: r.get(4)?,
        total_minor: r.get(5)?,
        approved_by: r.get(6)?,
        approved_ms: r.get(7)?,
        state: r.get(8)?,
        counts: Default::default(),
        payouts: None,
    })
}

/// A batch with its payouts (operations only).
pub fn get_batch(tx: &Tx, caller: &Caller, batch_id: &str) -> Result<Batch, ApiError> {
    operations_only(caller)?;
    let batch =
        tx.query_row(&format!("SELECT {BATCH_COLUMNS} FROM payout_batches WHERE id = ?1"), [batch_id], batch_row).optional()?;
    let Some(mut batch) = batch else {
        return Err(ApiError::not_found("no such payout batch"));
    };
    batch.counts = batch_counts(tx, batch_id)?;
    let mut q = tx.prepare_cached(&format!("SELECT {PAYOUT_COLUMNS} FROM payouts WHERE batch_id = ?1 ORDER BY id"))?;
    let payouts = q.query_map([batch_id], payout_row)?.collect::<Result<Vec<_>, _>>()?;
    batch.payouts = Some(payouts);
    Ok(batch)
}

/// The latest batches first (at most 200), without their payouts (operations only).
pub fn list_batches(tx: &Tx, caller: &Caller) -> Result<BatchList, ApiError> {
    operations_only(caller)?;
    let mut q = tx.prepare(&format!("SELECT {BATCH_COLUMNS} FROM payout_batches ORDER BY created_ms DESC, id LIMIT 200"))?;
    let mut batches = q.query_map([], batch_row)?.collect::<Result<Vec<_>, _>>()?;
    for b in &mut batches {
        b.counts = batch_counts(tx, &b.id)?;
    }
    Ok(BatchList { batches })
}

const PAYOUT_COLUMNS: &str = "id, batch_id, artisan_id, msisdn, amount_minor, state, attempts, conversation_id, receipt, \
     paid_minor, failure_code, failure_reason, last_error, hint, queries, created_ms, updated_ms, finished_ms, final_seq";

fn payout_row(r: &crate::store::sql::Row<'_>) -> crate::store::sql::Result<Payout> {
    let state: String = r.get(5)?;
    Ok(Payout {
        id: r.get(0)?,
        batch_id: r.get(1)?,
        artisan_id: r.get(2)?,
        msisdn: r.get(3)?,
        amount_minor: r.get(4)?,
        // The column is only ever written from `PayoutState::code`.
        state: PayoutState::from_code(&state).unwrap_or(PayoutState::Unknown),
        attempts: r.get(6)?,
        conversation_id: r.get(7)?,
        receipt: r.get(8)?,
        paid_minor: r.get(9)?,
        failure_code: r.get(10)?,
        failure_reason: r.get(11)?,
        last_error: r.get(12)?,
        hint: r.get(13)?,
        queries: r.get(14)?,
        created_ms: r.get(15)?,
        updated_ms: r.get(16)?,
        finished_ms: r.get(17)?,
        final_seq: r.get(18)?,
    })
}

/// Payouts not yet paid or failed, the oldest first (at most `limit`), for operations to see
/// what waits: queued ones of batches awaiting approval, ones on their way, and ones whose
/// result M-Pesa has not given yet however often it is asked (`queries`, `last_error`).
pub fn open_payouts(tx: &Tx, caller: &Caller, limit: usize) -> Result<Vec<Payout>, ApiError> {
    operations_only(caller)?;
    let mut q = tx.prepare_cached(&format!(
        "SELECT {PAYOUT_COLUMNS} FROM payouts WHERE state NOT IN ('paid', 'failed') ORDER BY created_ms, id LIMIT ?1"
    ))?;
    let rows = q.query_map([limit as i64], payout_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// One payout as stored, if there is one.
pub fn payout(tx: &Tx, id: &str) -> Result<Option<Payout>, ApiError> {
    Ok(tx.query_row(&format!("SELECT {PAYOUT_COLUMNS} FROM payouts WHERE id = ?1"), [id], payout_row).optional()?)
}

/// A payout that ended (paid or failed), for the earnings ledger: a failed one's amount goes
/// back to the artisan's balance, with its reason.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Finished {
    /// 1, 2, ...: the order in which payouts ended; pass the last one seen as `after`.
    pub final_seq: i64,
    pub payout_id: String,
    pub batch_id: String,
    pub artisan_id: String,
    pub amount_minor: i64,
    pub state: PayoutState,
    pub receipt: Option<String>,
    pub failure_code: Option<String>,
    pub failure_reason: Option<String>,
    pub finished_ms: i64,
}

/// Payouts that ended after `after` (a `final_seq`; 0 for all), in the order they ended, at most
/// `limit`. The earnings ledger keeps the last `final_seq` it applied and asks again: paid ones
/// settle the earnings they paid, failed ones are credited back (each exactly once: a payout
/// ends once, and never changes after).
pub fn finished_since(db: &Db, after: i64, limit: usize) -> Result<Vec<Finished>, ApiError> {
    db.read(|tx| {
        let mut q = tx.prepare_cached(
            "SELECT final_seq, id, batch_id, artisan_id, amount_minor, state, receipt, failure_code, failure_reason, finished_ms
             FROM payouts WHERE final_seq > ?1 ORDER BY final_seq LIMIT ?2",
        )?;
        let rows = q.query_map(params![after, limit as i64], |r| {
            let state: String = r.get(5)?;
            Ok(Finished {
                final_seq: r.get(0)?,
                payout_id: r.get(1)?,
                batch_id: r.get(2)?,
                artisan_id: r.get(3)?,
                amount_minor: r.get(4)?,
                state: PayoutState::from_code(&state).unwrap_or(PayoutState::Failed),
                receipt: r.get(6)?,
                failure_code: r.get(7)?,
                failure_reason: r.get(8)?,
                finished_ms: r.get(9)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    })
}

/// Only the failed ones of [`finished_since`]: what goes back to balances.
pub fn failed_since(db: &Db, after: i64, limit: usize) -> Result<Vec<Finished>, ApiError> {
    Ok(finished_since(db, after, limit)?.into_iter().filter(|f| f.state == PayoutState::Failed).collect())
}

// ---- The engine's transitions. Each runs in its own write transaction, reads the payout's
// current state and changes it only from the states the transition allows: a late or repeated
// event finds nothing to do. A final payout never changes.

/// What the engine needs to send or query one payout.
#[derive(Clone, Debug)]
pub struct Job {
    pub id: String,
    pub msisdn: String,
    pub amount_minor: i64,
}

/// The payouts due: queued ones of approved batches to send, accepted and unknown ones to ask
/// about. At most `limit` of each.
pub fn due(tx: &Tx, now: i64, limit: usize) -> Result<(Vec<String>, Vec<String>), ApiError> {
    let ids = |sql: &str| -> Result<Vec<String>, ApiError> {
        let mut q = tx.prepare_cached(sql)?;
        let rows = q.query_map(params![now, limit as i64], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    };
    let send = ids("SELECT p.id FROM payouts p JOIN payout_batches b ON b.id = p.batch_id
         WHERE p.state = 'queued' AND b.state = 'approved' AND p.next_ms <= ?1 ORDER BY p.next_ms, p.id LIMIT ?2")?;
    let ask =
        ids("SELECT id FROM payouts WHERE state IN ('accepted', 'unknown') AND next_ms <= ?1 ORDER BY next_ms, id LIMIT ?2")?;
    Ok((send, ask))
}

/// After a restart: a payout left `sent` may have reached Daraja (the process died during the
/// call, or before writing its answer). It is never sent again blindly: it is `unknown`, and a
/// status query comes first. Returns how many.
pub fn recover(tx: &Tx, now: i64) -> Result<usize, ApiError> {
    Ok(tx.execute(
        "UPDATE payouts SET state = 'unknown', next_ms = ?1, updated_ms = ?1,
           last_error = 'the depot stopped during the request: reconcile before any resend'
         WHERE state = 'sent'",
        [now],
    )?)
}

fn state_of(tx: &Tx, id: &str) -> Result<Option<PayoutState>, ApiError> {
    let s: Option<String> = tx.query_row("SELECT state FROM payouts WHERE id = ?1", [id], |r| r.get(0)).optional()?;
    Ok(s.and_then(|s| PayoutState::from_code(&s)))
}

fn job(tx: &Tx, id: &str) -> Result<Job, ApiError> {
    Ok(tx.query_row("SELECT id, msisdn, amount_minor FROM payouts WHERE id = ?1", [id], |r| {
        Ok(Job { id: r.get(0)?, msisdn: r.get(1)?, amount_minor: r.get(2)? })
    })?)
}

/// Queued → sent, one more attempt counted: committed before the B2C request goes out (a hint
/// left by an earlier attempt's callback is cleared: a result for this attempt may come before
/// its answer). `None` when it is no longer queued (nothing to send).
pub fn begin_send(tx: &Tx, id: &str, now: i64) -> Result<Option<Job>, ApiError> {
    let n = tx.execute(
        "UPDATE payouts SET state = 'sent', attempts = attempts + 1, sent_ms = ?2, updated_ms = ?2,
           query_conversation_id = NULL, conversation_id = NULL, hint = NULL
         WHERE id = ?1 AND state = 'queued'",
        params![id, now],
    )?;
    if n == 0 {
        return Ok(None);
    }
    job(tx, id).map(Some)
}

/// How a B2C request ended, in the state machine's terms.
#[derive(Clone, Debug)]
pub enum SendResult {
    /// ResponseCode 0 with Daraja's ConversationID.
    Accepted { conversation_id: String },
    /// Money may move: reconcile by a status query before any resend.
    MayHaveBeenAccepted { error: String },
    /// Definitely not accepted: send again later under the same id (or fail when the attempts
    /// are spent).
    NotAccepted { error: String },
    /// Our own input is wrong: it will never be accepted.
    Invalid { error: String },
}

/// Timing and bounds of the engine's transitions.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    /// How long to wait for a result before asking the status.
    pub result_wait_ms: i64,
    /// How long to wait before sending again a request that was not accepted, or asking again
    /// a status that was not answered.
    pub retry_ms: i64,
    /// Requests started for one payout before it fails.
    pub max_attempts: i64,
}

/// Record what the request sent under `begin_send` came to (only from `sent`).
pub fn finish_send(tx: &Tx, id: &str, result: &SendResult, now: i64, t: Timing) -> Result<(), ApiError> {
    if state_of(tx, id)? != Some(PayoutState::Sent) {
        return Ok(());
    }
    match result {
        SendResult::Accepted { conversation_id } => {
            // A result that came before the answer left its hint: ask at once.
            tx.execute(
                "UPDATE payouts SET state = 'accepted', conversation_id = ?2, last_error = NULL, updated_ms = ?3,
                   next_ms = CASE WHEN hint IS NULL THEN CAST(?4 AS BIGINT) ELSE CAST(?3 AS BIGINT) END
                 WHERE id = ?1",
                params![id, conversation_id, now, now + t.result_wait_ms],
            )?;
        }
        SendResult::MayHaveBeenAccepted { error } => {
            tx.execute(
                "UPDATE payouts SET state = 'unknown', last_error = ?2, updated_ms = ?3, next_ms = ?3 WHERE id = ?1",
                params![id, error, now],
            )?;
        }
        SendResult::NotAccepted { error } => {
            let attempts: i64 = tx.query_row("SELECT attempts FROM payouts WHERE id = ?1", [id], |r| r.get(0))?;
            if attempts >= t.max_attempts {
                let reason = format!("not accepted by M-Pesa after {attempts} attempts: {error}");
                fail(tx, id, "not_accepted", &reason, now)?;
            } else {
                tx.execute(
                    "UPDATE payouts SET state = 'queued', last_error = ?2, updated_ms = ?3, next_ms = ?4 WHERE id = ?1",
                    params![id, error, now, now + t.retry_ms],
                )?;
            }
        }
        SendResult::Invalid { error } => {
            fail(tx, id, "invalid", error, now)?;
        }
    }
    Ok(())
}

/// Mark a payout failed (from any state but a final one) and give it its place in the order of
/// finished payouts.
fn fail(tx: &Tx, id: &str, code: &str, reason: &str, now: i64) -> Result<bool, ApiError> {
    let n = tx.execute(
        "UPDATE payouts SET state = 'failed', failure_code = ?2, failure_reason = ?3, finished_ms = ?4, updated_ms = ?4,
           query_conversation_id = NULL,
           final_seq = (SELECT COALESCE(MAX(final_seq), 0) + 1 FROM payouts)
         WHERE id = ?1 AND state NOT IN ('paid', 'failed')",
        params![id, code, reason, now],
    )?;
    settle_batch(tx, id)?;
    Ok(n > 0)
}

/// A batch whose payouts all ended is `done`.
fn settle_batch(tx: &Tx, payout_id: &str) -> Result<(), ApiError> {
    tx.execute(
        "UPDATE payout_batches SET state = 'done'
         WHERE id = (SELECT batch_id FROM payouts WHERE id = ?1) AND state = 'approved'
           AND NOT EXISTS (SELECT 1 FROM payouts WHERE batch_id = payout_batches.id AND state NOT IN ('paid', 'failed'))",
        [payout_id],
    )?;
    Ok(())
}

/// The payout a status query is about, for the engine: `None` unless it is accepted or unknown.
pub fn begin_query(tx: &Tx, id: &str) -> Result<Option<Job>, ApiError> {
    match state_of(tx, id)? {
        Some(PayoutState::Accepted | PayoutState::Unknown) => job(tx, id).map(Some),
        _ => Ok(None),
    }
}

/// A status query went out (`Some` ConversationID) or failed to (`None`, with the error): ask
/// again after `retry_ms` if no result comes.
pub fn finish_query(tx: &Tx, id: &str, sent: Result<&str, &str>, now: i64, t: Timing) -> Result<(), ApiError> {
    match sent {
        Ok(conversation) => tx.execute(
            "UPDATE payouts SET query_conversation_id = ?2, queried_ms = ?3, queries = queries + 1, updated_ms = ?3,
               next_ms = ?4
             WHERE id = ?1 AND state IN ('accepted', 'unknown')",
            params![id, conversation, now, now + t.retry_ms],
        )?,
        Err(error) => tx.execute(
            "UPDATE payouts SET last_error = ?2, updated_ms = ?3, next_ms = ?4 WHERE id = ?1 AND state IN ('accepted', 'unknown')",
            params![id, error, now, now + t.retry_ms],
        )?,
    };
    Ok(())
}

/// A B2C result or queue-timeout callback's reading, as a hint: it changes no state (callbacks
/// are unsigned) but makes the payout's status be asked at once. Found by Daraja's
/// ConversationID, else by our id. Returns the payout's id when one was found and not final.
pub fn hint(tx: &Tx, conversation_id: &str, originator_id: &str, hint: &str, now: i64) -> Result<Option<String>, ApiError> {
    let by_conversation: Option<String> = if conversation_id.is_empty() {
        None
    } else {
        tx.query_row("SELECT id FROM payouts WHERE conversation_id = ?1", [conversation_id], |r| r.get(0)).optional()?
    };
    let id = match by_conversation {
        Some(id) => id,
        None if !originator_id.is_empty() => match state_of(tx, originator_id)? {
            Some(_) => originator_id.to_string(),
            None => return Ok(None),
        },
        None => return Ok(None),
    };
    let n = tx.execute(
        "UPDATE payouts SET hint = ?2, updated_ms = ?3,
           next_ms = CASE WHEN state IN ('accepted', 'unknown') THEN ?3 ELSE next_ms END
         WHERE id = ?1 AND state NOT IN ('paid', 'failed')",
        params![id, hint, now],
    )?;
    Ok((n > 0).then_some(id))
}

/// What a status result said, in the state machine's terms.
#[derive(Clone, Debug)]
pub enum StatusResult {
    Completed {
        receipt: String,
        paid_minor: i64,
    },
    /// Declined, cancelled or expired: final, nothing paid.
    NotCompleted {
        status: String,
        reason: Option<String>,
    },
    /// Daraja knows no such transaction.
    NotFound,
    /// Not final yet, or the query itself failed: ask again later.
    AskLater {
        note: String,
    },
}

/// The payout whose status query in flight has Daraja's ConversationID `query_conversation_id`.
pub fn matched_by_query(tx: &Tx, query_conversation_id: &str) -> Result<Option<String>, ApiError> {
    if query_conversation_id.is_empty() {
        return Ok(None);
    }
    Ok(tx
        .query_row("SELECT id FROM payouts WHERE query_conversation_id = ?1", [query_conversation_id], |r| r.get(0))
        .optional()?)
}

/// What applying a status result did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Applied {
    Ignored,
    Paid,
    Failed,
    Requeued,
    Waiting,
}

/// Apply a status result to the payout it is about: the one whose query in flight has this
/// ConversationID (only the depot saw it, in Daraja's answer to the query; a payout id written
/// in the body is not enough, since callbacks are unsigned). A result that names another payout
/// than the one matched is ignored. Only accepted and unknown payouts change; paid and failed
/// never do.
pub fn apply_status(
    tx: &Tx,
    query_conversation_id: &str,
    original_id: Option<&str>,
    result: &StatusResult,
    now: i64,
    t: Timing,
) -> Result<Applied, ApiError> {
    if query_conversation_id.is_empty() {
        return Ok(Applied::Ignored);
    }
    let Some(id) = matched_by_query(tx, query_conversation_id)? else {
        return Ok(Applied::Ignored);
    };
    if original_id.is_some_and(|orig| orig != id) {
        return Ok(Applied::Ignored);
    }
    let state = state_of(tx, &id)?;
    if !matches!(state, Some(PayoutState::Accepted | PayoutState::Unknown)) {
        return Ok(Applied::Ignored);
    }
    match result {
        StatusResult::Completed { receipt, paid_minor } => {
            tx.execute(
                "UPDATE payouts SET state = 'paid', receipt = ?2, paid_minor = ?3, finished_ms = ?4, updated_ms = ?4,
                   query_conversation_id = NULL,
                   final_seq = (SELECT COALESCE(MAX(final_seq), 0) + 1 FROM payouts)
                 WHERE id = ?1",
                params![id, receipt, paid_minor, now],
            )?;
            settle_batch(tx, &id)?;
            Ok(Applied::Paid)
        }
        StatusResult::NotCompleted { status, reason } => {
            // The result callback's code, when one came, says why better than the status.
            let hint: Option<String> = tx.query_row("SELECT hint FROM payouts WHERE id = ?1", [&id], |r| r.get(0))?;
            let code = hint
                .as_deref()
                .and_then(|h| h.strip_prefix("failed "))
                .and_then(|h| h.split(':').next())
                .map(str::to_string)
                .unwrap_or_else(|| status.to_ascii_lowercase());
            let reason = reason.clone().filter(|r| !r.is_empty()).unwrap_or_else(|| format!("M-Pesa says {status}"));
            fail(tx, &id, &code, &reason, now)?;
            Ok(Applied::Failed)
        }
        StatusResult::NotFound if state == Some(PayoutState::Unknown) => {
            // Never taken by Daraja: it may be sent again, under the same id.
            let attempts: i64 = tx.query_row("SELECT attempts FROM payouts WHERE id = ?1", [&id], |r| r.get(0))?;
            if attempts >= t.max_attempts {
                fail(tx, &id, "not_accepted", &format!("never taken by M-Pesa in {attempts} attempts"), now)?;
                return Ok(Applied::Failed);
            }
            tx.execute(
                "UPDATE payouts SET state = 'queued', query_conversation_id = NULL, updated_ms = ?2, next_ms = ?2,
                   last_error = 'not found by the status query: sent again under the same id'
                 WHERE id = ?1",
                params![id, now],
            )?;
            Ok(Applied::Requeued)
        }
        StatusResult::NotFound => {
            // Accepted, yet not found (yet): ask again later.
            tx.execute(
                "UPDATE payouts SET query_conversation_id = NULL, last_error = 'accepted but not found by the status query',
                   updated_ms = ?2, next_ms = ?3 WHERE id = ?1",
                params![id, now, now + t.retry_ms],
            )?;
            Ok(Applied::Waiting)
        }
        StatusResult::AskLater { note } => {
            tx.execute(
                "UPDATE payouts SET query_conversation_id = NULL, last_error = ?2, updated_ms = ?3, next_ms = ?4 WHERE id = ?1",
                params![id, note, now, now + t.retry_ms],
            )?;
            Ok(Applied::Waiting)
        }
    }
}

/// Money the depot records as paid and its payouts by state.
#[derive(Clone, Debug, Serialize)]
pub struct Totals {
    /// The sum of what status queries confirmed as paid, in minor units (reconciliation compares
    /// it with M-Pesa's own record of money moved).
    pub paid_minor: i64,
    pub by_state: std::collections::BTreeMap<String, i64>,
}

pub fn totals(tx: &Tx) -> Result<Totals, ApiError> {
    let paid_minor = tx.query_row("SELECT COALESCE(SUM(paid_minor), 0) FROM payouts WHERE state = 'paid'", [], |r| r.get(0))?;
    let mut q = tx.prepare("SELECT state, COUNT(*) FROM payouts GROUP BY state")?;
    let by_state = q.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
    Ok(Totals { paid_minor, by_state })
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Timing = Timing { result_wait_ms: 1000, retry_ms: 500, max_attempts: 2 };

    fn setup() -> (tempfile::TempDir, Db, Caller, Caller) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path()).unwrap();
        db.write(|tx| {
            for (id, role) in [("ops1", "operations"), ("ops2", "operations"), ("art", "artisan"), ("staff", "staff")] {
                tx.execute("INSERT INTO accounts (id, role, name, created_ms) VALUES (?1, ?2, ?1, 0)", [id, role])?;
            }
            Ok(())
        })
        .unwrap();
        let ops = |id: &str| Caller { account_id: id.into(), role: Role::Operations, device_id: None };
        (dir, db, ops("ops1"), ops("ops2"))
    }

    fn batch(ids: &[&str], kes: i64) -> NewBatch {
        NewBatch {
            period_from: "2026-11-01".into(),
            period_to: "2026-11-30".into(),
            payouts: ids
                .iter()
                .map(|id| NewPayout {
                    id: id.to_string(),
                    artisan_id: "art".into(),
                    msisdn: "0712345678".into(),
                    amount_minor: kes * 100,
                })
                .collect(),
        }
    }

    fn state(db: &Db, id: &str) -> String {
        db.read(|tx| Ok(tx.query_row("SELECT state FROM payouts WHERE id = ?1", [id], |r| r.get(0))?)).unwrap()
    }

    #[test]
    fn only_operations_create_and_a_second_account_approves_above_the_threshold() {
        let (_d, db, ops1, ops2) = setup();
        let policy = PayoutPolicy { approval_above_minor: 1000 * 100 };
        let staff = Caller { account_id: "staff".into(), role: Role::Staff, device_id: None };
        let e = db.write(|tx| create_batch(tx, &staff, &batch(&["p0"], 100), policy)).unwrap_err();
        assert_eq!(e.code, "forbidden");
        let small = db.write(|tx| create_batch(tx, &ops1, &batch(&["p1"], 1000), policy)).unwrap();
        assert_eq!(small.state, "approved", "at the threshold: approved at once");
        let big = db.write(|tx| create_batch(tx, &ops1, &batch(&["p2", "p3"], 600), policy)).unwrap();
        assert_eq!(big.state, "awaiting_approval");
        assert_eq!(db.write(|tx| approve_batch(tx, &ops1, &big.id)).unwrap_err().code, "forbidden", "not by its creator");
        assert_eq!(
            db.read(|tx| due(tx, i64::MAX, 10)).unwrap().0,
            vec!["p1".to_string()],
            "nothing of it is due before approval"
        );
        let approved = db.write(|tx| approve_batch(tx, &ops2, &big.id)).unwrap();
        assert_eq!((approved.state.as_str(), approved.approved_by.as_deref()), ("approved", Some("ops2")));
        assert_eq!(db.write(|tx| approve_batch(tx, &ops2, &big.id)).unwrap_err().code, "conflict");
        // A payout id is used once for ever; bad numbers, cents and non-artisans are refused.
        assert_eq!(db.write(|tx| create_batch(tx, &ops1, &batch(&["p1"], 100), policy)).unwrap_err().code, "conflict");
        let mut bad = batch(&["p9"], 100);
        bad.payouts[0].msisdn = "0812345678".into();
        assert_eq!(db.write(|tx| create_batch(tx, &ops1, &bad, policy)).unwrap_err().code, "invalid");
        let mut cents = batch(&["p9"], 100);
        cents.payouts[0].amount_minor += 50;
        assert_eq!(db.write(|tx| create_batch(tx, &ops1, &cents, policy)).unwrap_err().code, "invalid");
        let mut staff_paid = batch(&["p9"], 100);
        staff_paid.payouts[0].artisan_id = "staff".into();
        assert_eq!(db.write(|tx| create_batch(tx, &ops1, &staff_paid, policy)).unwrap_err().code, "invalid");
    }

    #[test]
    fn a_payout_ends_once_and_only_a_matched_status_result_ends_it() {
        let (_d, db, ops1, _) = setup();
        db.write(|tx| create_batch(tx, &ops1, &batch(&["p1", "p2"], 100), PayoutPolicy::default())).unwrap();
        // p1: sent, then the process "dies": recovered as unknown, never queued blindly.
        assert!(db.write(|tx| begin_send(tx, "p1", 1)).unwrap().is_some());
        assert!(db.write(|tx| begin_send(tx, "p1", 1)).unwrap().is_none(), "sent once per take");
        assert_eq!(db.write(|tx| recover(tx, 2)).unwrap(), 1);
        assert_eq!(state(&db, "p1"), "unknown");
        // A result callback is a hint; a status result for no query in flight changes nothing.
        assert_eq!(db.write(|tx| hint(tx, "", "p1", "paid R1", 3)).unwrap().as_deref(), Some("p1"));
        let paid = StatusResult::Completed { receipt: "R1".into(), paid_minor: 10_000 };
        assert_eq!(db.write(|tx| apply_status(tx, "", Some("p1"), &paid, 4, T)).unwrap(), Applied::Ignored);
        assert_eq!(db.write(|tx| apply_status(tx, "forged", Some("p1"), &paid, 4, T)).unwrap(), Applied::Ignored);
        assert_eq!(state(&db, "p1"), "unknown");
        // The query's own result: paid, once; repeats and contrary results change nothing.
        db.write(|tx| finish_query(tx, "p1", Ok("Q1"), 5, T)).unwrap();
        assert_eq!(db.write(|tx| apply_status(tx, "Q1", Some("p1"), &paid, 6, T)).unwrap(), Applied::Paid);
        assert_eq!(db.write(|tx| apply_status(tx, "Q1", Some("p1"), &paid, 7, T)).unwrap(), Applied::Ignored);
        let declined = StatusResult::NotCompleted { status: "Declined".into(), reason: None };
        assert_eq!(db.write(|tx| apply_status(tx, "Q1", Some("p1"), &declined, 8, T)).unwrap(), Applied::Ignored);
        assert_eq!(db.write(|tx| hint(tx, "", "p1", "failed 1: no", 9)).unwrap(), None);
        assert_eq!(state(&db, "p1"), "paid");
        // p2: refused twice (the bound): failed with its reason.
        for _ in 0..2 {
            db.write(|tx| begin_send(tx, "p2", 10)).unwrap().unwrap();
            db.write(|tx| finish_send(tx, "p2", &SendResult::NotAccepted { error: "400 bad".into() }, 11, T)).unwrap();
            db.write(|tx| tx.execute("UPDATE payouts SET next_ms = 0 WHERE id = 'p2'", []).map_err(ApiError::from)).unwrap();
        }
        assert_eq!(state(&db, "p2"), "failed");
        let finished = finished_since(&db, 0, 10).unwrap();
        assert_eq!(finished.iter().map(|f| (f.final_seq, f.payout_id.as_str())).collect::<Vec<_>>(), [(1, "p1"), (2, "p2")]);
        let failed = failed_since(&db, 0, 10).unwrap();
        assert_eq!(failed.len(), 1);
        assert!(failed[0].failure_reason.as_deref().unwrap().contains("400 bad"), "{failed:?}");
        assert!(failed_since(&db, 2, 10).unwrap().is_empty());
        let batch_state: String = db.read(|tx| Ok(tx.query_row("SELECT state FROM payout_batches", [], |r| r.get(0))?)).unwrap();
        assert_eq!(batch_state, "done");
    }
}
