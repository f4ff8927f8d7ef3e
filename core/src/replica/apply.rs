//! Applying what the depot sent, each record through the feature that owns it. The phone's own
//! drafts merge field by field with the same pure rule the depot runs
//! (`fundi_sync::phone::decide_pulled_field`): for each field the greater stamp wins, so a local
//! edit not yet pushed stays on screen and the depot's newer values come in. Status follows the
//! depot unless a command on it is still pending here. Everything else is stored as sent.

use crate::account::SyncError;
use crate::error::{Error, Result};
use crate::{conflicts, documents, drafts, orders, outbox, stock};
use fundi_sync::phone::{self, PulledField};
use fundi_sync::{Change, DraftBody, FieldWrite, Kind, Mutation, OrderBody, RejectionBody, StockBody};
use rusqlite::Connection;
use serde_json::Value;

pub(crate) struct Me {
    pub account_id: String,
    pub device_id: String,
}

fn unreadable<T>(_: T) -> Error {
    Error::Sync(SyncError::Protocol("a record the depot sent does not parse".into()))
}

fn stored_corrupt<T>(_: T) -> Error {
    Error::Storage(crate::storage::StorageError::Corrupt)
}

pub(crate) fn apply_page(tx: &Connection, me: &Me, changes: &[Change]) -> Result<()> {
    for c in changes {
        match Kind::from_code(&c.kind) {
            Some(Kind::Draft) => {
                let body: DraftBody = serde_json::from_value(c.body.clone()).map_err(unreadable)?;
                if body.owner == me.account_id {
                    merge_own_draft(tx, &c.id, &body)?;
                } else {
                    documents::db::put(tx, &c.kind, &c.id, Some(&body.owner), &c.body)?;
                }
            }
            Some(Kind::Order) => {
                let o: OrderBody = serde_json::from_value(c.body.clone()).map_err(unreadable)?;
                orders::db::put(tx, &c.id, &o)?;
            }
            Some(Kind::Stock) => {
                let s: StockBody = serde_json::from_value(c.body.clone()).map_err(unreadable)?;
                stock::db::put_pulled(tx, &c.id, &s, &c.body.to_string())?;
            }
            Some(Kind::Rejection) => {
                let r: RejectionBody = serde_json::from_value(c.body.clone()).map_err(unreadable)?;
                // This device's own refusals are its wedged outbox items already.
                if r.device_id != me.device_id {
                    conflicts::db::add_refusal(tx, &c.id, &r)?;
                }
            }
            // Profiles, and kinds from a newer depot: kept as sent.
            _ => {
                let owner = c.body.get("owner").and_then(Value::as_str);
                documents::db::put(tx, &c.kind, &c.id, owner, &c.body)?;
            }
        }
    }
    Ok(())
}

fn merge_own_draft(tx: &Connection, id: &str, body: &DraftBody) -> Result<()> {
    if !drafts::db::exists(tx, id)? {
        // A draft made on another phone of this account, or before a reinstall.
        let first = body.doc.fields.values().map(|w| w.hlc).min().unwrap_or_default();
        drafts::db::insert_pulled(tx, id, first)?;
    }
    let local = drafts::db::draft_stamps(tx, id)?;
    for (field, server) in &body.doc.fields {
        // The very merge rule the depot runs, on the local value and the depot's.
        let local_write = match local.get(field) {
            Some(hlc) => {
                let value = drafts::db::field_value(tx, id, field)?.unwrap_or(Value::Null);
                Some(FieldWrite::new(value, *hlc, vec![]))
            }
            None => None,
        };
        if phone::decide_pulled_field(field, local_write.as_ref(), server) == PulledField::Take {
            drafts::db::store_field_write(tx, id, field, server)?;
        }
    }
    // Review status: the depot's, unless this phone still has a command on it in flight.
    let pending = !outbox::pending_commands(tx, Kind::Draft, id)?.is_empty();
    if let Some(status) = phone::pulled_review_status(&body.status, pending) {
        drafts::db::set_status(tx, id, status)?;
    }
    // Conflicts: exactly the depot's list for this draft.
    conflicts::db::replace_for_draft(tx, id, body.doc.conflict_list())
}

/// Bring the copy of the depot's state up to date with a mutation the depot just applied. The
/// depot does not send back records whose latest change was this phone's own clean write (it
/// would cost bytes for nothing), so the phone applies the same pure rules itself here
/// (`fundi_sync::phone::settle_order`, `settle_document`).
pub(crate) fn settle_applied(tx: &Connection, m: &Mutation) -> Result<()> {
    match (Kind::from_code(&m.kind), &m.command, &m.entry) {
        (Some(Kind::Stock), _, Some(e)) => {
            stock::db::put_acknowledged(tx, &StockBody { owner: String::new(), entry: e.clone(), extra: Default::default() })?;
        }
        (Some(Kind::Order), Some(c), _) => {
            if let Some(mut order) = orders::db::find(tx, &m.id)? {
                if phone::settle_order(&mut order, c) {
                    orders::db::put(tx, &m.id, &order)?;
                }
            }
        }
        (Some(kind @ (Kind::Draft | Kind::Profile)), command, _) => {
            // Documents this phone does not own (own drafts are current already).
            if let Some(mut body) = documents::db::find(tx, kind.code(), &m.id)? {
                phone::settle_document(&mut body, m.fields.as_ref(), command.as_ref()).map_err(stored_corrupt)?;
                documents::db::update(tx, kind.code(), &m.id, &body)?;
            }
        }
        _ => {}
    }
    Ok(())
}
