//! Push: the adapter around the protocol's depot steps (`fundi_sync::depot`). It checks the
//! batch as a whole, then for each mutation looks up what the rules need (records, accounts),
//! asks [`decide`] and writes the decision. The device's last applied counter and the answer to
//! every mutation are stored in the same transaction as the mutations' effects, so a batch
//! replayed after a lost reply gets the very same answers and changes nothing. One refused
//! mutation never blocks the rest: its refusal is stored, returned, and put in the sender's
//! change feed as a conflict record.
//!
//! Kill tests arm crash points (`fundi_sqlite::crash_point`) before the transaction, after each
//! mutation's effects inside it, and after the commit before the reply.

use super::accounts::Caller;
use super::facts::{PushFacts, SqlFacts};
use super::{put_record, ApiError, Db};
use crate::store::sql::Tx;
use crate::store::sql::{params, OptionalExtension};
use fundi_sqlite::crash_point;
use fundi_sync::depot::{self, check_push, decide, decide_order_command, BatchRefusal, Decision, DepotFacts, Refusal};
use fundi_sync::hlc::Timestamp;
use fundi_sync::limits::PUSH_RESULTS_KEPT;
use fundi_sync::{
    CommandBody, Extra, Kind, MutationResult, OrderBody, PushRequest, PushResponse, RejectionBody, PROTOCOL_VERSION,
};

impl From<String> for ApiError {
    fn from(detail: String) -> Self {
        ApiError::internal(detail)
    }
}

impl From<BatchRefusal> for ApiError {
    fn from(e: BatchRefusal) -> Self {
        match e {
            BatchRefusal::UnsupportedVersion(_) => ApiError::unsupported_version(e.to_string()),
            BatchRefusal::WrongDevice => ApiError::forbidden(e.to_string()),
            BatchRefusal::TooLarge => ApiError::too_large(e.to_string()),
            BatchRefusal::BadCounters => ApiError::malformed(e.to_string()),
        }
    }
}

fn protocol_caller(caller: &Caller) -> depot::Caller {
    depot::Caller { account_id: caller.account_id.clone(), role: caller.role }
}

pub fn push(db: &Db, caller: &Caller, req: &PushRequest) -> Result<PushResponse, ApiError> {
    let device = caller.device_id.as_deref().ok_or_else(ApiError::unauthorized)?;
    check_push(req, device)?;
    let who = protocol_caller(caller);
    // The bound on stamps is measured against this machine's wall clock, which phones never
    // move; the depot's HLC is pushed forward by every stamp it accepts and would drift.
    let depot_wall_ms = fundi_sync::hlc::wall_clock_ms();
    crash_point("push:before_tx");
    let results = db.write(|tx| {
        let mut last: i64 = tx.query_row("SELECT last_counter FROM devices WHERE device_id = ?1", [device], |r| r.get(0))?;
        let mut results = Vec::with_capacity(req.mutations.len());
        for m in &req.mutations {
            let counter = m.counter as i64;
            if counter <= last {
                let stored: Option<String> = tx
                    .query_row(
                        "SELECT result FROM push_results WHERE device_id = ?1 AND counter = ?2",
                        params![device, counter],
                        |r| r.get(0),
                    )
                    .optional()?;
                results.push(depot::replay_answer(m.counter, stored.and_then(|s| serde_json::from_str(&s).ok())));
                continue;
            }
            tx.execute_batch("SAVEPOINT m")?;
            let facts = PushFacts { sql: SqlFacts(tx), blobs: &db.blobs };
            let outcome = match decide(&facts, &who, device, req.cursor, m, depot_wall_ms) {
                Ok(decision) => {
                    if let Some(d) = decision {
                        let echo = d.echo_to_sender.then_some(device);
                        write_decision(tx, &d, echo, m.command.as_ref().map_or_else(|| db.now(), |c| c.hlc), &caller.account_id)?;
                    }
                    tx.execute_batch("RELEASE m")?;
                    Ok(())
                }
                Err(Refusal::Refused(r)) => {
                    tx.execute_batch("ROLLBACK TO m; RELEASE m")?;
                    Err(r)
                }
                Err(Refusal::Failed(e)) => return Err(e),
            };
            let result = MutationResult { counter: m.counter, rejected: outcome.err() };
            if let Some(r) = &result.rejected {
                let body = RejectionBody {
                    device_id: device.to_string(),
                    counter: m.counter,
                    kind: m.kind.chars().take(32).collect(),
                    record_id: m.id.chars().take(64).collect(),
                    rejection: r.clone(),
                    summary: m.summary(),
                };
                let body = serde_json::to_value(&body).map_err(|e| ApiError::internal(e.to_string()))?;
                let id = format!("{device}:{}", m.counter);
                put_record(tx, Kind::Rejection.code(), &id, Some(&caller.account_id), None, &body, None)?;
            } else {
                for t in depot::stamps_to_observe(m) {
                    db.observe(t);
                }
            }
            tx.execute(
                "INSERT INTO push_results (device_id, counter, result) VALUES (?1, ?2, ?3)
                 ON CONFLICT (device_id, counter) DO UPDATE SET result = excluded.result",
                params![device, counter, serde_json::to_string(&result).expect("serializable")],
            )?;
            results.push(result);
            last = counter;
            // A kill test's moment: this mutation's effects written, the batch not committed.
            crash_point("push:decided");
        }
        tx.execute("UPDATE devices SET last_counter = ?1 WHERE device_id = ?2", params![last, device])?;
        tx.execute(
            "DELETE FROM push_results WHERE device_id = ?1 AND counter < ?2",
            params![device, last - PUSH_RESULTS_KEPT as i64],
        )?;
        Ok(results)
    })?;
    // Committed, the reply not yet written: the phone will resend this batch.
    crash_point("push:committed");
    Ok(PushResponse { protocol: PROTOCOL_VERSION, results, server_time: db.now(), extra: Extra::new() })
}

/// The console's entry to the protocol's rules: `mutations` decided for `caller` exactly as
/// a phone's push would be (`depot::decide`), in one transaction, all or nothing; the first
/// refusal is the error. No device: nothing is echoed to a phone as its own change, and no
/// answer is stored for a replay (a console form is not resent by a sync).
pub fn apply_api(db: &Db, caller: &Caller, mutations: &[fundi_sync::Mutation]) -> Result<(), ApiError> {
    let who = protocol_caller(caller);
    let depot_wall_ms = fundi_sync::hlc::wall_clock_ms();
    db.write(|tx| {
        for m in mutations {
            let facts = PushFacts { sql: SqlFacts(tx), blobs: &db.blobs };
            match decide(&facts, &who, "", u64::MAX, m, depot_wall_ms) {
                Ok(Some(d)) => {
                    write_decision(tx, &d, None, m.command.as_ref().map_or_else(|| db.now(), |c| c.hlc), &caller.account_id)?
                }
                Ok(None) => {}
                Err(Refusal::Refused(r)) => return Err(r.into()),
                Err(Refusal::Failed(e)) => return Err(e),
            }
            for t in depot::stamps_to_observe(m) {
                db.observe(t);
            }
        }
        Ok(())
    })
}

/// The operations API's entry to an order command: the same rules as a phone's push.
pub fn order_command_api(db: &Db, caller: &Caller, id: &str, name: &str, args: Extra) -> Result<OrderBody, ApiError> {
    let who = protocol_caller(caller);
    db.write(|tx| {
        let facts = SqlFacts(tx);
        let stored = facts.record(Kind::Order, id)?.ok_or_else(|| ApiError::not_found("no such order"))?;
        let rel = depot::relation(&facts, &who, stored.owner.as_deref())?;
        if !fundi_sync::access::may_read(caller.role, rel) {
            return Err(ApiError::not_found("no such order"));
        }
        let c = CommandBody::new(name, db.now(), args);
        let d = match decide_order_command(&facts, &who, id, stored, &c, false) {
            Ok(d) => d,
            Err(Refusal::Refused(r)) => return Err(r.into()),
            Err(Refusal::Failed(e)) => return Err(e),
        };
        write_decision(tx, &d, None, c.hlc, &caller.account_id)?;
        serde_json::from_value(d.body).map_err(|e| ApiError::internal(e.to_string()))
    })
}

/// Write a decision, and what follows from it in the same transaction: an order delivered
/// earns its artisan (`money::after_order_change`); a stock movement keeps who recorded it; an
/// approved draft becomes its product's next version (`products::after_draft_change`).
/// `hlc`: the mutation's stamp; `by`: the account that sent it.
fn write_decision(tx: &Tx, d: &Decision, echo: Option<&str>, hlc: Timestamp, by: &str) -> Result<(), ApiError> {
    put_record(tx, d.kind.code(), &d.id, d.owner.as_deref(), echo, &d.body, d.state.as_ref())?;
    if d.kind == Kind::Stock {
        super::stock::recorded_by(tx, &d.id, by)?;
    }
    if d.kind == Kind::Draft {
        super::products::after_draft_change(tx, &d.id, &d.body, by, super::now_ms())?;
    }
    if d.kind == Kind::Order {
        let order: OrderBody = serde_json::from_value(d.body.clone()).map_err(|e| ApiError::internal(e.to_string()))?;
        super::money::after_order_change(tx, &d.id, &order, hlc)?;
        super::stock::after_order_change(tx, &d.id, &order, hlc, by)?;
    }
    Ok(())
}
