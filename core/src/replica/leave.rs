//! A record leaves this phone (a scope exit in a pulled page, a push refused `gone`, a record a
//! full re-sync did not bring back; ADR 0012): removed by the feature that holds it, its outbox
//! items parked as refused with the reason, as `fundi_sync::phone::leave_action` decides.
//! Shared by `apply` and `sweep`.

use crate::error::Result;
use crate::{conflicts, documents, drafts, orders, outbox, stock};
use fundi_sync::phone::{self, LeaveAction, Leaving};
use fundi_sync::{DocState, Kind};
use rusqlite::Connection;

/// A record leaves this phone, for the reason `why`. Returns whether it was removed (it stays
/// when a full re-sync missed it but this phone has unsynced work on it).
pub(crate) fn leave(tx: &Connection, kind: &str, id: &str, why: Leaving) -> Result<bool> {
    let has_items = outbox::has_items(tx, kind, id)?;
    if phone::leave_action(why, has_items) == LeaveAction::KeepUnsynced {
        return Ok(false);
    }
    match Kind::from_code(kind) {
        Some(Kind::Order) => orders::db::remove(tx, id)?,
        Some(Kind::Stock) => stock::db::remove(tx, id)?,
        // This device's refusals are its outbox items; other devices' are dismissed by the user.
        Some(Kind::Rejection) => return Ok(false),
        Some(Kind::Draft) if drafts::db::exists(tx, id)? => {
            drafts::forget(tx, id)?;
            conflicts::db::replace_for_draft(tx, id, &DocState::default())?;
        }
        // Others' drafts, profiles, and kinds from a newer depot (kept as documents).
        _ => documents::db::remove(tx, kind, id)?,
    }
    outbox::park_record(tx, kind, id, why.reason())?;
    Ok(true)
}
