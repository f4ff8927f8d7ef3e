//! The payout engine (issue 11 item 2, ADR 0019): a tokio task inside `serve` that sends queued
//! payouts through Daraja B2C, asks the status of those whose outcome is not confirmed, and the
//! callback routes Daraja posts results to (on the deployment's secret path).
//!
//! Every state is written (`store::payouts`) before the call it leads to: `sent`, with one more
//! attempt counted, is committed before a B2C request goes out, so a crash during the call
//! leaves a payout the restart reconciles (`unknown`, a status query first), never one it sends
//! again blindly. A callback is a hint only: it makes the engine ask the status at once, and
//! only a status result marks a payout paid or failed.

use crate::mpesa::amount::{Msisdn, WholeKes};
use crate::mpesa::client::{MpesaClient, MpesaError, B2C_RESULT_PATH, B2C_TIMEOUT_PATH, STATUS_RESULT_PATH, STATUS_TIMEOUT_PATH};
use crate::mpesa::wire::{B2cOutcome, Callback, StatusOutcome};
use crate::store::money;
use crate::store::payouts::{self as store, Applied, SendResult, StatusResult, Timing};
use crate::store::{now_ms, ApiError, Db, PG_PAYOUT_LOCK};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use fundi_sqlite::crash_point;
use fundi_sync::money::Money;
use std::sync::Arc;
use std::time::Duration;

/// How often a process whose engine waits asks again whether it may lead (another process's
/// engine runs meanwhile; this one takes over within this long of that process stopping).
const LEAD_RETRY: Duration = Duration::from_secs(5);

/// The crash points of a payout, in the order a payout meets them (the kill tests arm each).
pub mod points {
    /// `sent` committed (attempts + 1), the B2C request not yet made.
    pub const BEFORE_SEND: &str = "payout:before_send";
    /// Daraja answered the B2C request; the answer not yet recorded.
    pub const SEND_UNRECORDED: &str = "payout:send_unrecorded";
    /// A status query answered; not yet recorded.
    pub const QUERY_UNRECORDED: &str = "payout:query_unrecorded";
    /// A result callback read and its hint written; not committed.
    pub const CALLBACK_BEFORE_COMMIT: &str = "payout:callback_before_commit";
    /// A status result applied (paid, failed, queued again); not committed.
    pub const STATUS_BEFORE_COMMIT: &str = "payout:status_before_commit";
    /// A payout marked paid and committed; the status callback not yet answered.
    pub const PAID_COMMITTED: &str = "payout:paid_committed";
}

/// The remarks of every payment (Daraja wants 2 to 100 characters).
const REMARKS: &str = "Fundi earnings";

/// How the engine paces itself.
#[derive(Clone, Copy, Debug)]
pub struct EngineConfig {
    /// How often it looks for due payouts (a callback wakes it sooner).
    pub tick: Duration,
    pub timing: Timing,
    /// Calls to Daraja in flight at once.
    pub concurrency: usize,
}

pub struct Engine {
    db: Arc<Db>,
    client: MpesaClient,
    config: EngineConfig,
    wake: tokio::sync::Notify,
}

impl Engine {
    pub fn new(db: Arc<Db>, client: MpesaClient, config: EngineConfig) -> Arc<Engine> {
        Arc::new(Engine { db, client, config, wake: tokio::sync::Notify::new() })
    }

    async fn db<T: Send + 'static>(&self, f: impl FnOnce(&Db) -> Result<T, ApiError> + Send + 'static) -> Result<T, ApiError> {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || f(&db)).await.unwrap_or_else(|_| Err(ApiError::internal("payout task failed")))
    }

    /// Once this process leads (one engine at a time on a shared database), reconcile what a
    /// previous engine left `sent`, then work until the task is dropped.
    pub async fn run(self: Arc<Self>) {
        let _leading = loop {
            match self.db(|db| db.try_lead(PG_PAYOUT_LOCK)).await {
                Ok(Some(lead)) => break lead,
                Ok(None) => {}
                Err(e) => eprintln!("payouts: taking the lead: {e}"),
            }
            tokio::time::sleep(LEAD_RETRY).await;
        };
        match self.db(|db| db.write(|tx| store::recover(tx, now_ms() as i64))).await {
            Ok(0) => {}
            Ok(n) => eprintln!("payouts: {n} left in flight by the last run will be reconciled by status queries"),
            Err(e) => eprintln!("payouts: recovering: {e}"),
        }
        loop {
            if let Err(e) = self.clone().run_once().await {
                eprintln!("payouts: {e}");
            }
            tokio::select! {
                _ = tokio::time::sleep(self.config.tick) => {}
                _ = self.wake.notified() => {}
            }
        }
    }

    /// One pass: send what is due, ask about what is due. Returns how many payouts it acted on.
    pub async fn run_once(self: Arc<Self>) -> Result<usize, ApiError> {
        let limit = self.config.concurrency.max(1) * 4;
        let (send, ask) = self.db(move |db| db.read(|tx| store::due(tx, now_ms() as i64, limit))).await?;
        let n = send.len() + ask.len();
        let mut work = tokio::task::JoinSet::new();
        let jobs = send.into_iter().map(|id| (true, id)).chain(ask.into_iter().map(|id| (false, id)));
        for (is_send, id) in jobs {
            while work.len() >= self.config.concurrency.max(1) {
                work.join_next().await;
            }
            let me = self.clone();
            work.spawn(async move {
                let r = if is_send { me.send_one(id.clone()).await } else { me.query_one(id.clone()).await };
                if let Err(e) = r {
                    eprintln!("payouts: {id}: {e}");
                }
            });
        }
        while work.join_next().await.is_some() {}
        Ok(n)
    }

    async fn send_one(&self, id: String) -> Result<(), ApiError> {
        let now = now_ms() as i64;
        let key = id.clone();
        let Some(job) = self.db(move |db| db.write(|tx| store::begin_send(tx, &key, now))).await? else {
            return Ok(());
        };
        crash_point(points::BEFORE_SEND);
        let result = match (Msisdn::parse(&job.msisdn), WholeKes::from_money(Money::kes_minor(job.amount_minor))) {
            (Ok(to), Ok(amount)) => match self.client.send_b2c(&job.id, &to, amount, REMARKS).await {
                Ok(a) => SendResult::Accepted { conversation_id: a.conversation_id },
                Err(e) => send_error(e),
            },
            (Err(e), _) => SendResult::Invalid { error: e.to_string() },
            (_, Err(e)) => SendResult::Invalid { error: e.to_string() },
        };
        crash_point(points::SEND_UNRECORDED);
        let timing = self.config.timing;
        self.db(move |db| {
            db.write(|tx| {
                store::finish_send(tx, &id, &result, now_ms() as i64, timing)?;
                money::after_payout_final(tx, &id)
            })
        })
        .await
    }

    async fn query_one(&self, id: String) -> Result<(), ApiError> {
        let key = id.clone();
        let Some(job) = self.db(move |db| db.read(|tx| store::begin_query(tx, &key))).await? else {
            return Ok(());
        };
        // By our id (the receipt is not known before a status result gives it).
        let sent = self.client.query_status(Some(&job.id), None).await;
        crash_point(points::QUERY_UNRECORDED);
        let timing = self.config.timing;
        self.db(move |db| {
            db.write(|tx| {
                let r = match &sent {
                    Ok(a) => Ok(a.conversation_id.as_str()),
                    Err(e) => Err(e.to_string()),
                };
                store::finish_query(tx, &id, r.as_ref().map(|c| *c).map_err(String::as_str), now_ms() as i64, timing)
            })
        })
        .await
    }

    /// The routes Daraja posts to, under the path of the configured callback URL (the
    /// deployment's secret). Refused at start when the path has characters a route cannot.
    pub fn callback_router(self: &Arc<Self>) -> Result<Router, String> {
        let base = self.client.config().callback_base_url.expose().to_string();
        let url = reqwest::Url::parse(&base).map_err(|e| format!("the callback URL: {e}"))?;
        let path = url.path().trim_end_matches('/').to_string();
        if !path.bytes().all(|b| b.is_ascii_alphanumeric() || b"/-_.~".contains(&b)) {
            return Err("the callback URL's path may hold only letters, digits and / - _ . ~".into());
        }
        Ok(Router::new()
            .route(&format!("{path}/{B2C_RESULT_PATH}"), post(b2c_result))
            .route(&format!("{path}/{B2C_TIMEOUT_PATH}"), post(b2c_timeout))
            .route(&format!("{path}/{STATUS_RESULT_PATH}"), post(status_result))
            .route(&format!("{path}/{STATUS_TIMEOUT_PATH}"), post(status_timeout))
            .layer(axum::extract::DefaultBodyLimit::max(crate::mpesa::MAX_ANSWER_BYTES))
            .with_state(self.clone()))
    }
}

fn send_error(e: MpesaError) -> SendResult {
    let error = e.to_string();
    if e.may_have_been_accepted() {
        return SendResult::MayHaveBeenAccepted { error };
    }
    match e {
        MpesaError::Invalid(_) => SendResult::Invalid { error },
        _ => SendResult::NotAccepted { error },
    }
}

/// What the depot answers Daraja: taken (whatever it did with it), or unreadable.
fn answer(ok: bool) -> Response {
    let (status, body) = if ok {
        (StatusCode::OK, r#"{"ResultCode": 0, "ResultDesc": "Accepted"}"#)
    } else {
        (StatusCode::BAD_REQUEST, r#"{"ResultCode": 1, "ResultDesc": "Rejected: not a Daraja callback"}"#)
    };
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// A B2C result: a hint (paid with a receipt, or failed with a code), never a state.
async fn b2c_result(State(engine): State<Arc<Engine>>, body: Bytes) -> Response {
    let Ok(cb) = Callback::parse(&body) else { return answer(false) };
    let hint = match cb.result.b2c_outcome() {
        Ok(B2cOutcome::Paid(p)) => format!("paid {}", p.receipt),
        Ok(B2cOutcome::Failed { code, description }) => format!("failed {code}: {description}"),
        Err(e) => format!("an unreadable result: {e}"),
    };
    take_hint(engine, cb, hint).await
}

/// A queue-timeout notice: whatever its code says, the outcome is unknown; ask.
async fn b2c_timeout(State(engine): State<Arc<Engine>>, body: Bytes) -> Response {
    let Ok(cb) = Callback::parse(&body) else { return answer(false) };
    take_hint(engine, cb, "queue timeout".to_string()).await
}

async fn take_hint(engine: Arc<Engine>, cb: Callback, hint: String) -> Response {
    let r = cb.result;
    let written = engine
        .db(move |db| {
            db.write(|tx| {
                let found = store::hint(tx, &r.conversation_id, &r.originator_conversation_id, &hint, now_ms() as i64)?;
                crash_point(points::CALLBACK_BEFORE_COMMIT);
                Ok(found)
            })
        })
        .await;
    match written {
        Ok(found) => {
            if found.is_some() {
                engine.wake.notify_one();
            }
            answer(true)
        }
        Err(e) => {
            eprintln!("payouts: a result callback: {e}");
            (StatusCode::INTERNAL_SERVER_ERROR, "storage").into_response()
        }
    }
}

/// A status result: the only thing that marks a payout paid or failed.
async fn status_result(State(engine): State<Arc<Engine>>, body: Bytes) -> Response {
    let Ok(cb) = Callback::parse(&body) else { return answer(false) };
    let r = cb.result;
    let (original, result) = match r.status_outcome() {
        Ok(StatusOutcome::Completed { original_originator_conversation_id, payment }) => (
            original_originator_conversation_id,
            StatusResult::Completed { receipt: payment.receipt, paid_minor: payment.amount.to_money().minor },
        ),
        Ok(StatusOutcome::NotCompleted { original_originator_conversation_id, status }) => {
            let reason = r.parameter("TransactionReason");
            (original_originator_conversation_id, StatusResult::NotCompleted { status, reason })
        }
        Ok(StatusOutcome::NotFound) => (None, StatusResult::NotFound),
        Ok(StatusOutcome::Pending { status }) => (None, StatusResult::AskLater { note: format!("status {status}") }),
        Ok(StatusOutcome::QueryFailed { code, description }) => {
            (None, StatusResult::AskLater { note: format!("status query failed: {code} {description}") })
        }
        Err(e) => (None, StatusResult::AskLater { note: format!("an unreadable status result: {e}") }),
    };
    let timing = engine.config.timing;
    let conversation = r.conversation_id.clone();
    let applied = engine
        .db(move |db| {
            db.write(|tx| {
                let matched = store::matched_by_query(tx, &conversation)?;
                let a = store::apply_status(tx, &conversation, original.as_deref(), &result, now_ms() as i64, timing)?;
                if let (Some(id), Applied::Paid | Applied::Failed) = (matched, &a) {
                    // In the same transaction: the receipt, or the amount back on her balance.
                    money::after_payout_final(tx, &id)?;
                }
                crash_point(points::STATUS_BEFORE_COMMIT);
                Ok(a)
            })
        })
        .await;
    match applied {
        Ok(a) => {
            if a == Applied::Paid {
                crash_point(points::PAID_COMMITTED);
            }
            if a == Applied::Requeued {
                engine.wake.notify_one();
            }
            answer(true)
        }
        Err(e) => {
            eprintln!("payouts: a status result: {e}");
            (StatusCode::INTERNAL_SERVER_ERROR, "storage").into_response()
        }
    }
}

/// A status query that expired in Daraja's queue: the engine asks again after its wait.
async fn status_timeout(body: Bytes) -> Response {
    answer(Callback::parse(&body).is_ok())
}
