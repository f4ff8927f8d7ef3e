//! The drafts waiting for review, as the console's Catalog page lists them (issue 12 item 3):
//! submitted drafts the caller may review (staff and operations any; a mentor her mentees'),
//! with what a reviewer needs to see. Reviewing itself is a push-shaped mutation decided by the
//! protocol's rules (`push::apply_api`), as from a mentor's phone.

use super::accounts::{get_account, relation, Caller};
use super::ApiError;
use crate::store::sql::Tx;
use fundi_sync::drafts::DraftField;
use fundi_sync::workflow::{draft_commands, DraftStatus};
use fundi_sync::{DraftBody, Kind};

/// Drafts one page lists at most.
pub const SUBMITTED_MAX: usize = 100;

/// A submitted draft as a reviewer sees it.
#[derive(Clone, Debug)]
pub struct Submitted {
    pub id: String,
    pub artisan: String,
    pub title: String,
    pub description: String,
    pub category: String,
    pub materials: String,
    /// The artisan's price, KES minor units, when set.
    pub price_minor: Option<i64>,
    /// Content hashes of its photos, in order.
    pub photos: Vec<String>,
}

/// The submitted drafts `caller` may review, oldest first (at most [`SUBMITTED_MAX`]).
pub fn submitted(tx: &Tx, caller: &Caller) -> Result<Vec<Submitted>, ApiError> {
    let mut q = tx.prepare_cached("SELECT id, owner, body FROM records WHERE kind = ?1 ORDER BY seq")?;
    let rows = q.query_map([Kind::Draft.code()], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?, r.get::<_, String>(2)?))
    })?;
    let mut out = vec![];
    for row in rows {
        let (id, owner, body) = row?;
        let Ok(draft) = serde_json::from_str::<DraftBody>(&body) else { continue };
        if DraftStatus::from_code(&draft.status) != Some(DraftStatus::Submitted) {
            continue;
        }
        let rel = relation(tx, caller, owner.as_deref())?;
        if draft_commands(DraftStatus::Submitted, caller.role, rel).is_empty() {
            continue;
        }
        let text = |f: DraftField| draft.doc.value(f.code()).and_then(|v| v.as_str()).unwrap_or_default().to_string();
        let artisan = match &owner {
            Some(o) => get_account(tx, o)?.map(|a| a.name).unwrap_or_default(),
            None => String::new(),
        };
        out.push(Submitted {
            artisan,
            title: text(DraftField::Title),
            description: text(DraftField::Description),
            category: text(DraftField::Category),
            materials: text(DraftField::Materials),
            price_minor: draft.doc.value(DraftField::Price.code()).and_then(|v| v.as_i64()),
            photos: draft
                .doc
                .value(fundi_sync::fields::DRAFT_PHOTOS)
                .and_then(|v| v.as_array())
                .map(|list| list.iter().filter_map(|p| p.as_str().map(str::to_string)).collect())
                .unwrap_or_default(),
            id,
        });
        if out.len() == SUBMITTED_MAX {
            break;
        }
    }
    Ok(out)
}

/// The stamp of `draft`'s review note as stored (what a new note replaces), if it has one.
pub fn review_note_stamp(tx: &Tx, draft: &str) -> Result<Option<fundi_sync::hlc::Timestamp>, ApiError> {
    let Some(r) = super::get_record(tx, Kind::Draft.code(), draft)? else { return Ok(None) };
    let body: DraftBody = serde_json::from_value(r.body).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(body.doc.stamp(fundi_sync::fields::DRAFT_REVIEW_NOTE))
}
