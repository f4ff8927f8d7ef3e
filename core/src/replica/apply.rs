//! Applying what the depot sent, each record through the feature that owns it. The phone's own
//! drafts merge field by field with the same pure rule the depot runs
//! (`fundi_sync::phone::decide_pulled_field`): for each field the greater stamp wins, so a local
//! edit not yet pushed stays on screen and the depot's newer values come in. Status follows the
//! depot unless a command on it is still pending here. Everything else is stored as sent. A
//! record this build cannot show is decided here or in its feature as it is stored: kept as
//! sent, held for a newer app (out of the views, counted by the sync status), so one such record
//! never makes a whole list fail.
//!
//! A record that leaves this phone (a scope exit in the page, a push refused `gone`) goes
//! through `leave` (ADR 0012).

use super::leave::leave;
use crate::account::SyncError;
use crate::error::{Error, Result};
use crate::{conflicts, documents, drafts, orders, outbox, products, stock};
use fundi_sync::money_ledger::MoneyBody;
use fundi_sync::phone::{self, Leaving, PulledField, Settled};
use fundi_sync::{
    DraftBody, DraftStatus, FieldWrite, Kind, Mutation, OrderBody, ProfileBody, PullResponse, RejectCode, RejectionBody,
    StockBody,
};
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

/// Apply one pulled page: its scope exits first, then its changes (a record in both came back
/// after it left). In a full re-sync (`sweeping`), every record received is unmarked.
pub(crate) fn apply_page(tx: &Connection, me: &Me, page: &PullResponse, sweeping: bool) -> Result<()> {
    for e in &page.exits {
        leave(tx, &e.kind, &e.id, Leaving::ScopeExit)?;
    }
    for c in &page.changes {
        if sweeping {
            super::sweep::unmark(tx, &c.kind, &c.id)?;
        }
        match Kind::from_code(&c.kind) {
            Some(Kind::Draft) => {
                let body: DraftBody = serde_json::from_value(c.body.clone()).map_err(unreadable)?;
                if body.owner == me.account_id {
                    merge_own_draft(tx, &c.id, &body)?;
                } else {
                    // A draft for review in a status this build does not know: held for a newer app.
                    let held = DraftStatus::from_code(&body.status).is_none();
                    documents::db::put(tx, &c.kind, &c.id, Some(&body.owner), &c.body, held)?;
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
            // Money entries: kept as sent, read-only here; one that does not read as an entry
            // (a newer depot's shape) is held for a newer app.
            Some(Kind::Money) => {
                let readable = serde_json::from_value::<MoneyBody>(c.body.clone());
                let owner = readable.as_ref().ok().map(|b| b.owner.clone());
                documents::db::put(tx, &c.kind, &c.id, owner.as_deref(), &c.body, readable.is_err())?;
            }
            // Products: the same, read-only here; one that does not read as a product, or in a
            // listing state this build does not know, is held for a newer app.
            Some(Kind::Product) => {
                let owner = c.body.get("owner").and_then(Value::as_str);
                documents::db::put(tx, &c.kind, &c.id, owner, &c.body, products::holds(&c.body))?;
            }
            // Profiles, and kinds from a newer depot: kept as sent; a profile that does not read
            // as one, and any record of a kind this build does not know, held for a newer app.
            kind => {
                let owner = c.body.get("owner").and_then(Value::as_str);
                let readable = kind == Some(Kind::Profile) && serde_json::from_value::<ProfileBody>(c.body.clone()).is_ok();
                documents::db::put(tx, &c.kind, &c.id, owner, &c.body, !readable)?;
            }
        }
    }
    Ok(())
}

/// After the depot's answers are stored: a record refused as `gone` (deleted, and no longer
/// kept by the depot) leaves this phone.
pub(crate) fn settle_refused(tx: &Connection, settled: &[Settled]) -> Result<()> {
    for s in settled {
        if let Settled::Refused { counter, rejection: Some(r), .. } = s {
            if r.code == RejectCode::Gone {
                if let Some((kind, id)) = outbox::record_of(tx, *counter)? {
                    leave(tx, &kind, &id, Leaving::Gone)?;
                }
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
    // Conflicts: exactly the depot's list for this draft, with what it folded away.
    conflicts::db::replace_for_draft(tx, id, &body.doc)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Store;
    use fundi_sync::{Change, Role};
    use serde_json::json;

    const ME: &str = "a0000000-0000-7000-8000-000000000001";
    const OTHER: &str = "a0000000-0000-7000-8000-000000000002";

    fn draft(owner: &str, status: &str, materials: Value, ms: u64) -> Value {
        let t = fundi_sync::hlc::Timestamp { wall_ms: ms, counter: 0, node: 9 };
        let w = |v: Value| json!({"value": v, "hlc": t});
        json!({"owner": owner, "status": status, "doc": {"fields": {"title": w(json!("Kikapu")), "materials": w(materials)}}})
    }

    fn order(status: &str) -> Value {
        json!({"status": status, "artisan_id": ME, "product": "Kiondo", "quantity": 1, "price_minor": 100,
               "source": "shop", "external_ref": "S-1", "updated_hlc": "0000000003e80000000000000000000001"})
    }

    fn apply(store: &Store, changes: Vec<(&str, &str, Value)>) {
        let changes: Vec<Change> =
            changes.into_iter().map(|(kind, id, body)| Change { kind: kind.into(), id: id.into(), body }).collect();
        let me = Me { account_id: ME.into(), device_id: "d".into() };
        let page = PullResponse {
            protocol: 1,
            changes,
            exits: vec![],
            cursor: 1,
            more: false,
            server_time: Default::default(),
            extra: Default::default(),
        };
        store.write(|tx| apply_page(tx, &me, &page, false)).unwrap();
    }

    /// One record of each kind this build cannot show beside one it can: every view reads and
    /// leaves the first out, the sync status counts them, and a later state this build can show
    /// brings them back.
    #[test]
    fn a_record_this_build_cannot_show_is_held_for_a_newer_app_and_no_view_fails() {
        let store = Store::open_in_memory().unwrap();
        store.write(|tx| crate::account::db::enroll_for_test(tx, ME, Role::Artisan)).unwrap();
        let (d1, d2) = ("01900000-0000-7000-8000-000000000001", "01900000-0000-7000-8000-000000000002");
        let (o1, o2, r1) = (
            "01900000-0000-7000-8000-000000000051",
            "01900000-0000-7000-8000-000000000052",
            "01900000-0000-7000-8000-000000000061",
        );
        apply(
            &store,
            vec![
                ("draft", d1, draft(ME, "draft", json!(["sisal"]), 1000)),
                ("draft", d2, draft(ME, "draft", json!([1, {"kg": 2}]), 1000)),
                ("order", o1, order("assigned")),
                ("order", o2, order("on_hold")),
                ("draft", r1, draft(OTHER, "in_translation", json!(["sisal"]), 1000)),
                ("profile", ME, json!({"owner": ME, "doc": "not a document"})),
                ("invoice", "01900000-0000-7000-8000-000000000071", json!({"owner": ME, "total": 5})),
            ],
        );
        let ids = |v: Vec<String>| v;
        assert_eq!(ids(store.list_drafts().unwrap().into_iter().map(|d| d.id).collect()), [d1]);
        assert_eq!(ids(store.list_orders().unwrap().into_iter().map(|o| o.id).collect()), [o1]);
        assert!(store.list_review_drafts().unwrap().is_empty());
        assert_eq!(store.profile(ME).unwrap(), None);
        assert_eq!(store.sync_status().unwrap().needs_newer_app, 5);
        assert!(matches!(store.get_draft(d2), Err(Error::NotFound { .. })));
        assert!(matches!(store.get_order(o2), Err(Error::NotFound { .. })));
        assert!(matches!(store.set_profile_field(ME, "display_name", json!("Amina")), Err(Error::NotFound { .. })));
        // The value kept as it came is the one this phone would send back.
        let held = store.read(|c| crate::drafts::db::field_value(c, d2, "materials")).unwrap();
        assert_eq!(held, Some(json!([1, {"kg": 2}])));

        apply(
            &store,
            vec![
                ("draft", d2, draft(ME, "draft", json!(["ukili"]), 2000)),
                ("order", o2, order("accepted")),
                ("draft", r1, draft(OTHER, "submitted", json!(["sisal"]), 2000)),
                ("profile", ME, json!({"owner": ME, "doc": {"fields": {}}})),
            ],
        );
        assert_eq!(store.list_drafts().unwrap().len(), 2);
        assert_eq!(store.get_draft(d2).unwrap().materials, ["ukili"]);
        assert_eq!(store.list_orders().unwrap().len(), 2);
        assert_eq!(store.list_review_drafts().unwrap().len(), 1);
        assert!(store.profile(ME).unwrap().is_some());
        assert_eq!(store.sync_status().unwrap().needs_newer_app, 1, "the record of a kind this build does not know");
    }
}
