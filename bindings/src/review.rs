//! Draft review across the FFI: mentees' (or, for staff, all) drafts and the reviewer's answer.

use crate::error::FundiError;
use crate::sync::SyncService;
use fundi_core::replica::ReviewDraft;
use fundi_sync::{DraftCommand, DraftStatus};

#[uniffi::remote(Enum)]
pub enum DraftCommand {
    Submit,
    RequestChanges,
    Approve,
}

#[uniffi::remote(Record)]
pub struct ReviewDraft {
    pub id: String,
    pub owner: String,
    pub title: String,
    pub status: DraftStatus,
    /// What this account may do now (approve, request changes): show these and no others.
    pub commands: Vec<DraftCommand>,
}

#[uniffi::export]
impl SyncService {
    /// Drafts waiting for or past review, in their optimistic status.
    pub fn list_review_drafts(&self) -> Result<Vec<ReviewDraft>, FundiError> {
        Ok(self.inner.list_review_drafts()?)
    }

    /// Approve a draft or ask for changes, with an optional note the artisan sees. (An artisan
    /// submits with `DraftService.submitDraft`; a reviewer's `Submit` is `NotAllowed`.)
    pub fn review_draft(&self, id: String, command: DraftCommand, note: Option<String>) -> Result<(), FundiError> {
        Ok(self.inner.review_draft(&id, command, note)?)
    }

    /// Set the price of a draft under review, in minor units (depot staff set prices; others
    /// are `NotAllowed`). Checked with the depot's field rules, then queued.
    pub fn set_reviewed_draft_price(&self, id: String, price_minor: i64) -> Result<(), FundiError> {
        Ok(self.inner.set_reviewed_draft_field(&id, "price", price_minor.into())?)
    }
}
