//! Draft review, for mentors (their mentees' drafts) and depot staff (all): the drafts waiting
//! for or past review with this phone's pending review commands replayed (optimistic), approve
//! or ask for changes with a note, and the fields a reviewer writes (the note; staff the price).
//! The drafts are held in `documents`.

mod model;

pub use model::ReviewDraft;

use crate::photos::PhotoLibrary;
use crate::review_cache::{ReviewPhoto, Size};
use fundi_sync::fields::DRAFT_PHOTOS;

use crate::error::{Error, Result};
use crate::storage::stamp;
use crate::{account, documents, outbox, Store};
use fundi_sync::access::may_write_field;
use fundi_sync::fields::{check_draft_field, DRAFT_DELETED, DRAFT_REVIEW_NOTE};
use fundi_sync::workflow::{draft_commands, draft_step, DraftCommand, DraftStatus};
use fundi_sync::{DraftBody, Extra, FieldWrite, Kind, Relation, Role};
use rusqlite::Connection;
use std::collections::BTreeMap;

fn corrupt<T>(_: T) -> Error {
    Error::Storage(crate::storage::StorageError::Corrupt)
}

/// A reviewer's relation to a draft they hold: the mentor of its artisan, or staff.
fn relation(role: Role) -> Relation {
    if role == Role::Mentor {
        Relation::Mentor
    } else {
        Relation::Other
    }
}

/// Whether its artisan deleted the draft (the winner of its `deleted` field is `true`).
fn is_deleted(d: &DraftBody) -> bool {
    d.doc.value(DRAFT_DELETED) == Some(&serde_json::Value::Bool(true))
}

/// A draft this phone reviews, as the depot last sent it. A deleted draft is gone here too.
fn body(conn: &Connection, id: &str) -> Result<DraftBody> {
    let body = documents::db::find(conn, Kind::Draft.code(), id)?.ok_or(Error::NotFound { kind: "draft" })?;
    let d: DraftBody = serde_json::from_value(body).map_err(corrupt)?;
    if is_deleted(&d) {
        return Err(Error::NotFound { kind: "draft" });
    }
    Ok(d)
}

/// The photos a draft names, in its order.
fn photo_hashes(d: &DraftBody) -> Vec<String> {
    let list = d.doc.value(DRAFT_PHOTOS).and_then(|v| v.as_array());
    list.into_iter().flatten().filter_map(|v| v.as_str().map(str::to_string)).collect()
}

fn write_field(tx: &Connection, id: &str, field: &str, write: FieldWrite) -> Result<()> {
    let mut w = BTreeMap::new();
    w.insert(field.to_string(), write);
    outbox::enqueue_fields(tx, Kind::Draft, id, w)
}

impl Store {
    /// Mentees' (or, for staff, all) drafts waiting for or past review, optimistic status.
    /// Drafts their artisan deleted are not listed.
    pub fn list_review_drafts(&self) -> Result<Vec<ReviewDraft>> {
        self.read(|c| {
            let (_, role) = account::db::me(c)?;
            let mut out = vec![];
            for (id, body) in documents::db::list(c, Kind::Draft.code())? {
                let d: DraftBody = serde_json::from_value(body).map_err(corrupt)?;
                if is_deleted(&d) {
                    continue;
                }
                let mut status = DraftStatus::from_code(&d.status).ok_or_else(|| corrupt(()))?;
                for cmd in outbox::pending_commands(c, Kind::Draft, &id)? {
                    let next = DraftCommand::from_code(&cmd.name).and_then(|k| draft_step(status, k, role, relation(role)).ok());
                    if let Some(next) = next {
                        status = next;
                    }
                }
                let title = d.doc.value("title").and_then(|v| v.as_str()).unwrap_or_default().to_string();
                out.push(ReviewDraft {
                    id,
                    owner: d.owner,
                    title,
                    status,
                    commands: draft_commands(status, role, relation(role)),
                });
            }
            Ok(out)
        })
    }

    /// Approve a draft or ask for changes (mentor of its artisan, or depot staff), with an
    /// optional note the artisan sees.
    pub fn review_draft(&self, id: &str, command: DraftCommand, note: Option<String>) -> Result<()> {
        self.write(|tx| {
            let (_, role) = account::db::me(tx)?;
            let d = body(tx, id)?;
            let status = DraftStatus::from_code(&d.status).ok_or_else(|| corrupt(()))?;
            draft_step(status, command, role, relation(role)).map_err(Error::Rejected)?;
            if let Some(note) = note.filter(|n| !n.trim().is_empty()) {
                let value = serde_json::Value::from(note.trim());
                check_draft_field(DRAFT_REVIEW_NOTE, &value).map_err(Error::Rejected)?;
                let base = d.doc.stamp(DRAFT_REVIEW_NOTE).into_iter().collect();
                write_field(tx, id, DRAFT_REVIEW_NOTE, FieldWrite::new(value, stamp(tx)?, base))?;
            }
            outbox::enqueue_command(tx, Kind::Draft, id, command.code(), Extra::new())?;
            Ok(())
        })
    }

    /// The photos of a draft this phone reviews, in the draft's order, with the files the
    /// review cache holds for each (a thumbnail soon after the artisan's sync; the photo once
    /// fetched on Wi-Fi). `None`: not fetched yet, or not at the depot yet.
    pub fn review_photos(&self, cache: &PhotoLibrary, id: &str) -> Result<Vec<ReviewPhoto>> {
        let photos = self.read(|c| body(c, id).map(|d| photo_hashes(&d)))?;
        let wanted: Vec<(String, Size)> =
            photos.iter().flat_map(|p| [(p.clone(), Size::Thumbnail), (p.clone(), Size::Photo)]).collect();
        let mut files = self.cached_files(cache, &wanted)?.into_iter();
        Ok(photos
            .into_iter()
            .map(|photo| ReviewPhoto { thumbnail: files.next().flatten(), full: files.next().flatten(), photo })
            .collect())
    }

    /// Every photo of the drafts this phone reviews, each once, those of drafts waiting for
    /// review first (what a reviewer needs soonest), with whether its draft waits for review.
    pub(crate) fn reviewed_photo_hashes(&self) -> Result<Vec<(String, bool)>> {
        self.read(|c| {
            let mut drafts = vec![];
            for (_, body) in documents::db::list(c, Kind::Draft.code())? {
                let d: DraftBody = serde_json::from_value(body).map_err(corrupt)?;
                if !is_deleted(&d) {
                    drafts.push((d.status == DraftStatus::Submitted.code(), photo_hashes(&d)));
                }
            }
            drafts.sort_by_key(|(waiting, _)| !*waiting);
            let mut seen = std::collections::BTreeSet::new();
            let photos = drafts.into_iter().flat_map(|(waiting, p)| p.into_iter().map(move |p| (p, waiting)));
            Ok(photos.filter(|(p, _)| seen.insert(p.clone())).collect())
        })
    }

    /// How many drafts wait for review, by their artisan.
    pub(crate) fn drafts_waiting_by_owner(&self) -> Result<BTreeMap<String, u32>> {
        self.read(|c| {
            let mut out = BTreeMap::new();
            for (_, body) in documents::db::list(c, Kind::Draft.code())? {
                let d: DraftBody = serde_json::from_value(body).map_err(corrupt)?;
                if !is_deleted(&d) && d.status == DraftStatus::Submitted.code() {
                    *out.entry(d.owner).or_insert(0) += 1;
                }
            }
            Ok(out)
        })
    }

    /// A draft this phone reviews (mentees', or all for staff), as the depot last sent it.
    pub fn reviewed_draft(&self, id: &str) -> Result<DraftBody> {
        self.read(|c| body(c, id))
    }

    /// Write one field of a draft this phone reviews (staff set prices; mentors and staff the
    /// review note). Checked here with the depot's own field rules, then queued.
    pub fn set_reviewed_draft_field(&self, id: &str, field: &str, value: serde_json::Value) -> Result<()> {
        self.write(|tx| {
            let (_, role) = account::db::me(tx)?;
            let mut d = body(tx, id)?;
            let status = DraftStatus::from_code(&d.status);
            may_write_field(role, relation(role), Kind::Draft, status, field).map_err(Error::Rejected)?;
            check_draft_field(field, &value).map_err(Error::Rejected)?;
            let write = FieldWrite::new(value, stamp(tx)?, d.doc.stamp(field).into_iter().collect());
            // Optimistic: the local copy shows the new value at once.
            d.doc.apply(field, write.clone()).map_err(corrupt)?;
            documents::db::update(tx, Kind::Draft.code(), id, &serde_json::to_value(&d).expect("json"))?;
            write_field(tx, id, field, write)
        })
    }
}
