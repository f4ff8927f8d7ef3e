//! Push: apply a batch of one phone's mutations, each at most once. The device's last applied
//! counter and the answer to every mutation are stored in the same transaction as the
//! mutations' effects, so a batch replayed after a lost reply gets the very same answers and
//! changes nothing. One refused mutation never blocks the rest: its refusal is stored, returned,
//! and put in the sender's change feed as a conflict record.

use super::accounts::{get_account, relation, Caller};
use super::{get_record, put_record, validate, ApiError, Db};
use fundi_core::drafts::DraftStatus;
use fundi_core::ids;
use fundi_core::sync::access::{may_append_stock, may_read, may_write_field};
use fundi_core::sync::workflow::{draft_step, order_step};
use fundi_core::sync::*;
use rusqlite::{params, Connection};
use serde_json::{json, Value};

/// Answers kept per device, counted back from its last counter (older replays are refused by
/// counter alone, which is just as safe: they were applied or refused long ago).
const KEEP_RESULTS: i64 = 5_000;

fn rej(code: RejectCode, d: &str) -> Rejection {
    Rejection::new(code, d.to_string())
}

pub fn push(db: &Db, caller: &Caller, req: &PushRequest) -> Result<PushResponse, ApiError> {
    if req.protocol == 0 || req.protocol > PROTOCOL_VERSION {
        return Err(ApiError::unsupported_version(format!(
            "protocol {} (this server speaks 1..={PROTOCOL_VERSION})",
            req.protocol
        )));
    }
    let device = caller.device_id.as_deref().ok_or_else(ApiError::unauthorized)?;
    if req.device_id != device {
        return Err(ApiError::forbidden("a device pushes only its own mutations"));
    }
    if req.mutations.len() > MAX_BATCH {
        return Err(ApiError::too_large(format!("at most {MAX_BATCH} mutations per push")));
    }
    if req.mutations.windows(2).any(|w| w[0].counter >= w[1].counter) || req.mutations.iter().any(|m| m.counter == 0) {
        return Err(ApiError::malformed("counters must be positive and increasing"));
    }
    let cursor = req.extra.get("cursor").and_then(Value::as_u64).unwrap_or(0) as i64;
    let now = db.now();
    let bound = now.wall_ms + MAX_AHEAD_MS;
    let results = db.write(|tx| {
        let mut last: i64 = tx.query_row("SELECT last_counter FROM devices WHERE device_id = ?1", [device], |r| r.get(0))?;
        let mut results = Vec::with_capacity(req.mutations.len());
        for m in &req.mutations {
            let counter = m.counter as i64;
            if counter <= last {
                let stored: Option<String> = rusqlite::OptionalExtension::optional(tx.query_row(
                    "SELECT result FROM push_results WHERE device_id = ?1 AND counter = ?2",
                    params![device, counter],
                    |r| r.get(0),
                ))?;
                let r = stored
                    .and_then(|s| serde_json::from_str(&s).ok())
                    .unwrap_or(MutationResult { counter: m.counter, rejected: None });
                results.push(r);
                continue;
            }
            let outcome = if m.stamps().iter().any(|t| t.wall_ms > bound) {
                Err(rej(RejectCode::ClockAhead, "a stamp is too far ahead of the server's clock"))
            } else {
                tx.execute_batch("SAVEPOINT m")?;
                match apply(tx, caller, device, cursor, m) {
                    Ok(()) => {
                        tx.execute_batch("RELEASE m")?;
                        Ok(())
                    }
                    Err(Applied::Refused(r)) => {
                        tx.execute_batch("ROLLBACK TO m; RELEASE m")?;
                        Err(r)
                    }
                    Err(Applied::Failed(e)) => return Err(e),
                }
            };
            let result = MutationResult { counter: m.counter, rejected: outcome.err() };
            if let Some(r) = &result.rejected {
                let body = RejectionBody {
                    device_id: device.to_string(),
                    counter: m.counter,
                    kind: m.kind.chars().take(32).collect(),
                    record_id: m.id.chars().take(64).collect(),
                    rejection: r.clone(),
                    summary: summary(m),
                };
                let body = serde_json::to_value(&body).map_err(|e| ApiError::internal(e.to_string()))?;
                put_record(
                    tx,
                    Kind::Rejection.code(),
                    &format!("{device}:{}", m.counter),
                    Some(&caller.account_id),
                    None,
                    &body,
                    None,
                )?;
            } else {
                for t in m.stamps() {
                    db.observe(t);
                }
            }
            tx.execute(
                "INSERT OR REPLACE INTO push_results (device_id, counter, result) VALUES (?1, ?2, ?3)",
                params![device, counter, serde_json::to_string(&result).expect("serializable")],
            )?;
            results.push(result);
            last = counter;
        }
        tx.execute("UPDATE devices SET last_counter = ?1 WHERE device_id = ?2", params![last, device])?;
        tx.execute("DELETE FROM push_results WHERE device_id = ?1 AND counter < ?2", params![device, last - KEEP_RESULTS])?;
        Ok(results)
    })?;
    Ok(PushResponse { protocol: PROTOCOL_VERSION, results, server_time: db.now(), extra: Extra::new() })
}

/// What a refused mutation asked for, for the conflict the phone shows (no values: the phone
/// still has them in its outbox).
fn summary(m: &Mutation) -> String {
    match m.op() {
        Ok(Op::Fields(f)) => format!("edit {}", f.keys().take(8).cloned().collect::<Vec<_>>().join(", ")),
        Ok(Op::Command(c)) => c.name.chars().take(32).collect(),
        Ok(Op::Entry(_)) => "stock entry".into(),
        Err(_) => "malformed".into(),
    }
}

enum Applied {
    Refused(Rejection),
    Failed(ApiError),
}
impl From<Rejection> for Applied {
    fn from(r: Rejection) -> Self {
        Applied::Refused(r)
    }
}
impl From<ApiError> for Applied {
    fn from(e: ApiError) -> Self {
        Applied::Failed(e)
    }
}
impl From<rusqlite::Error> for Applied {
    fn from(e: rusqlite::Error) -> Self {
        Applied::Failed(e.into())
    }
}

fn internal(e: impl std::fmt::Display) -> Applied {
    Applied::Failed(ApiError::internal(e.to_string()))
}

fn not_found() -> Rejection {
    rej(RejectCode::NotFound, "no such record")
}

/// Apply one mutation inside the batch's transaction.
fn apply(tx: &Connection, caller: &Caller, device: &str, cursor: i64, m: &Mutation) -> Result<(), Applied> {
    let kind = m.kind()?;
    let op = m.op()?;
    if !ids::is_valid_id(&m.id) {
        return Err(rej(RejectCode::Malformed, "record ids are UUIDs").into());
    }
    let existing = get_record(tx, kind.code(), &m.id)?;
    let prev: Option<(i64, Option<String>)> = rusqlite::OptionalExtension::optional(tx.query_row(
        "SELECT seq, last_device FROM records WHERE kind = ?1 AND id = ?2",
        params![kind.code(), m.id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    ))?;
    // The phone already holds the state this change builds on (it pulled it, or the latest
    // change was its own clean one): do not echo the result back.
    let seen_before = prev.is_none_or(|(s, last)| s <= cursor || last.as_deref() == Some(device));
    if let Some((owner, _, _)) = &existing {
        // Records the caller may not read do not exist for them.
        let rel = relation(tx, caller, owner.as_deref())?;
        if !may_read(caller.role, rel) {
            return Err(not_found().into());
        }
    }
    match (kind, op) {
        (Kind::Draft | Kind::Profile, Op::Fields(fields)) => {
            if fields.is_empty() || fields.len() > validate::MAX_FIELDS {
                return Err(rej(RejectCode::Malformed, "1 to 64 fields per write").into());
            }
            let (owner, mut body, state) = match existing {
                Some((owner, body, state)) => (owner.unwrap_or_default(), body, state),
                None => {
                    let owner = match kind {
                        // A new draft belongs to the artisan who wrote it.
                        Kind::Draft if caller.role == fundi_core::sync::Role::Artisan => caller.account_id.clone(),
                        Kind::Draft => return Err(rej(RejectCode::Forbidden, "drafts are created by artisans").into()),
                        // A profile's id is its artisan's account id.
                        _ => match get_account(tx, &m.id)? {
                            Some(a) if a.role == fundi_core::sync::Role::Artisan => a.id,
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
            let rel = relation(tx, caller, Some(&owner))?;
            let status = body.get("status").and_then(Value::as_str).and_then(DraftStatus::from_code);
            let mut doc: DocState = match state {
                Some(s) => serde_json::from_value(s).map_err(internal)?,
                None => DocState::default(),
            };
            let mut clean = true;
            for (name, write) in fields {
                match kind {
                    Kind::Draft => validate::draft_field(name, &write.value)?,
                    _ => validate::profile_field(name, &write.value)?,
                }
                may_write_field(caller.role, rel, kind, status, name)?;
                let outcome = doc.apply(name, write.clone()).map_err(|e| rej(RejectCode::Invalid, &e.to_string()))?;
                clean &= matches!(outcome, FieldOutcome::Won | FieldOutcome::NoChange);
            }
            if doc.fields.len() > validate::MAX_FIELDS {
                return Err(rej(RejectCode::Invalid, "too many fields").into());
            }
            body["doc"] = serde_json::to_value(doc.for_phone()).map_err(internal)?;
            let state = serde_json::to_value(&doc).map_err(internal)?;
            let echo = if clean && seen_before { Some(device) } else { None };
            put_record(tx, kind.code(), &m.id, Some(&owner), echo, &body, Some(&state))?;
            Ok(())
        }
        (Kind::Draft, Op::Command(c)) => {
            let (owner, mut body, state) = existing.ok_or_else(not_found)?;
            let rel = relation(tx, caller, owner.as_deref())?;
            let cmd = workflow::DraftCommand::from_code(&c.name).ok_or_else(|| rej(RejectCode::Malformed, "unknown command"))?;
            let from =
                body.get("status").and_then(Value::as_str).and_then(DraftStatus::from_code).ok_or_else(|| internal("status"))?;
            let to = draft_step(from, cmd, caller.role, rel)?;
            body["status"] = json!(to.code());
            let echo = if seen_before { Some(device) } else { None };
            put_record(tx, kind.code(), &m.id, owner.as_deref(), echo, &body, state.as_ref())?;
            Ok(())
        }
        (Kind::Order, Op::Command(c)) => {
            let (owner, body, _) = existing.ok_or_else(not_found)?;
            let echo = if seen_before { Some(device) } else { None };
            order_command(tx, caller, &m.id, owner, body, c, echo)
        }
        (Kind::Stock, Op::Entry(e)) => {
            may_append_stock(caller.role)?;
            e.check()?;
            if e.id != m.id {
                return Err(rej(RejectCode::Malformed, "the entry id is the record id").into());
            }
            if let Some((_, body, _)) = existing {
                let same: Option<LedgerEntry> = serde_json::from_value(body["entry"].clone()).ok();
                return if same.as_ref() == Some(e) { Ok(()) } else { Err(rej(RejectCode::IdReused, "entry id reused").into()) };
            }
            let product = get_record(tx, Kind::Draft.code(), &e.product_id)?.ok_or_else(not_found)?;
            let owner = product.0.unwrap_or_default();
            let body = serde_json::to_value(StockBody { owner: owner.clone(), entry: e.clone() }).map_err(internal)?;
            put_record(tx, Kind::Stock.code(), &m.id, Some(&owner), Some(device), &body, None)?;
            Ok(())
        }
        _ => Err(rej(RejectCode::Malformed, "this operation does not apply to this kind of record").into()),
    }
}

/// Apply an order command (from a phone's push or from the operations API).
fn order_command(
    tx: &Connection,
    caller: &Caller,
    id: &str,
    owner: Option<String>,
    body: Value,
    c: &CommandBody,
    echo: Option<&str>,
) -> Result<(), Applied> {
    let mut order: OrderBody = serde_json::from_value(body).map_err(internal)?;
    let rel = relation(tx, caller, owner.as_deref())?;
    let cmd = workflow::OrderCommand::from_code(&c.name).ok_or_else(|| rej(RejectCode::Malformed, "unknown command"))?;
    let from = workflow::OrderStatus::from_code(&order.status).ok_or_else(|| internal("status"))?;
    let to = order_step(from, cmd, caller.role, rel)?;
    let mut new_owner = owner;
    if cmd == workflow::OrderCommand::Assign {
        let artisan = c
            .args
            .get("artisan_id")
            .and_then(Value::as_str)
            .ok_or_else(|| rej(RejectCode::Invalid, "assign needs artisan_id"))?;
        match get_account(tx, artisan)? {
            Some(a) if a.role == fundi_core::sync::Role::Artisan => {}
            _ => return Err(rej(RejectCode::Invalid, "artisan_id is not an artisan").into()),
        }
        new_owner = Some(artisan.to_string());
    }
    workflow::apply_order_command(&mut order, to, c);
    let body = serde_json::to_value(&order).map_err(internal)?;
    put_record(tx, Kind::Order.code(), id, new_owner.as_deref(), echo, &body, None)?;
    Ok(())
}

/// The operations API's entry to an order command: the same rules as a phone's push.
pub fn order_command_api(db: &Db, caller: &Caller, id: &str, name: &str, args: Extra) -> Result<OrderBody, ApiError> {
    db.write(|tx| {
        let (owner, body, _) = get_record(tx, Kind::Order.code(), id)?.ok_or_else(|| ApiError::not_found("no such order"))?;
        let rel = relation(tx, caller, owner.as_deref())?;
        if !may_read(caller.role, rel) {
            return Err(ApiError::not_found("no such order"));
        }
        let c = CommandBody { name: name.to_string(), hlc: db.now(), args };
        match order_command(tx, caller, id, owner, body, &c, None) {
            Ok(()) => {}
            Err(Applied::Refused(r)) => return Err(r.into()),
            Err(Applied::Failed(e)) => return Err(e),
        }
        let (_, body, _) = get_record(tx, Kind::Order.code(), id)?.ok_or_else(|| ApiError::internal("vanished"))?;
        serde_json::from_value(body).map_err(|e| ApiError::internal(e.to_string()))
    })
}
