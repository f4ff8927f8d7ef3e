//! Conflicts the user settles: a field's losing concurrent value (restore it, or keep the
//! current one), a change of this phone's the depot refused (retry it with fresh stamps, or
//! discard it), and a refusal of this account's other device (dismiss it). Nothing is ever
//! dropped silently: when a field gathered more concurrent values than it keeps, its conflicts
//! say how many older ones were folded away. `db.rs` is the only code touching the `conflicts` table.

pub(crate) mod db;
mod model;

pub use model::ConflictItem;

use crate::error::{Error, Result};
use crate::storage::stamp;
use crate::{account, drafts, outbox, Store};
use fundi_sync::{DocState, FieldWrite, Kind};
use std::collections::BTreeMap;

fn corrupt<T>(_: T) -> Error {
    Error::Storage(crate::storage::StorageError::Corrupt)
}

impl Store {
    /// Every conflict to show: field conflicts and other devices' refusals, then this phone's
    /// own refused changes (id `outbox:N`).
    pub fn list_conflicts(&self) -> Result<Vec<ConflictItem>> {
        self.read(|c| {
            let mut out = db::list(c)?;
            for item in outbox::items(c, true)? {
                let reason = match item.state {
                    outbox::ItemState::Wedged { reason } => Some(reason),
                    outbox::ItemState::Pending => None,
                };
                let (id, kind, record_id) = (format!("outbox:{}", item.counter), item.kind, item.record_id);
                out.push(ConflictItem { id, kind, record_id, field: None, value: Some(item.summary), reason, folded: 0 });
            }
            Ok(out)
        })
    }

    /// Settle a conflict. For a field: `restore` puts the losing value back, otherwise the
    /// current value stays; either way a write naming both values goes to the depot, which
    /// clears the conflict on every device. A refusal is dismissed.
    pub fn resolve_conflict(&self, id: &str, restore: bool) -> Result<()> {
        if let Some(counter) = id.strip_prefix("outbox:").and_then(|c| c.parse::<u64>().ok()) {
            return if restore { self.retry_outbox_item(counter) } else { self.discard_outbox_item(counter) };
        }
        self.write(|tx| {
            let row = db::get(tx, id)?.ok_or(Error::NotFound { kind: "conflict" })?;
            if let (Some(field), Some(loser), Kind::Draft) = (row.field, row.loser, row.kind) {
                // The current write as held here, with the members a newer app put on it: the
                // resolution sends the kept value on with them.
                let current = drafts::db::field_write(tx, &row.record_id, &field)?
                    .unwrap_or_else(|| FieldWrite::new(serde_json::Value::Null, Default::default(), vec![]));
                let mut doc = DocState::default();
                doc.apply(&field, current).map_err(corrupt)?;
                doc.apply(&field, loser.clone()).map_err(corrupt)?;
                let now = stamp(tx)?;
                let write = doc.resolution(&field, loser.hlc, restore, now).ok_or(Error::NotFound { kind: "conflict" })?;
                if restore {
                    drafts::db::store_field_write(tx, &row.record_id, &field, &write)?;
                } else {
                    drafts::db::record_field_stamp(tx, &row.record_id, &field, &now.to_string())?;
                    drafts::db::record_field_members(tx, &row.record_id, &field, &write.extra)?;
                }
                let mut w = BTreeMap::new();
                w.insert(field, write);
                outbox::enqueue_fields(tx, Kind::Draft, &row.record_id, w)?;
            }
            db::remove(tx, id)
        })
    }

    /// Send a wedged change again: a new counter and fresh stamps (the refused counter is spent).
    pub fn retry_outbox_item(&self, counter: u64) -> Result<()> {
        self.write(|tx| {
            // An item this build cannot read cannot be sent again: it can only be discarded.
            let mut m = outbox::wedged_item(tx, counter)?.ok_or(Error::Storage(crate::storage::StorageError::Corrupt))?;
            let hlc = stamp(tx)?;
            if let Some(fields) = &mut m.fields {
                for (name, w) in fields.iter_mut() {
                    if m.kind == Kind::Draft.code() {
                        drafts::db::restamp_field(tx, &m.id, name, Some(w.hlc), Some(hlc))?;
                    }
                    w.hlc = hlc;
                }
            }
            if let Some(c) = &mut m.command {
                c.hlc = hlc;
            }
            if let Some(e) = &mut m.entry {
                e.hlc = hlc;
            }
            outbox::remove(tx, counter)?;
            outbox::enqueue(tx, m)?;
            Ok(())
        })
    }

    /// Give up a wedged change. Local records it touched are refreshed from the depot at the
    /// next sync (the feed restarts, and the discarded values lose their stamps).
    pub fn discard_outbox_item(&self, counter: u64) -> Result<()> {
        self.write(|tx| {
            // An unreadable item is simply dropped.
            if let Some(m) = outbox::wedged_item(tx, counter)? {
                if m.kind == Kind::Draft.code() {
                    for (name, w) in m.fields.iter().flatten() {
                        drafts::db::restamp_field(tx, &m.id, name, Some(w.hlc), None)?;
                    }
                    match m.command.as_ref().and_then(|c| fundi_sync::DraftCommand::from_code(&c.name)) {
                        Some(fundi_sync::DraftCommand::Submit) => drafts::db::unsubmit(tx, &m.id)?,
                        Some(fundi_sync::DraftCommand::Revise) => drafts::db::unrevise(tx, &m.id)?,
                        _ => {}
                    }
                }
            }
            outbox::remove(tx, counter)?;
            account::db::restart_feed(tx)
        })
    }
}
