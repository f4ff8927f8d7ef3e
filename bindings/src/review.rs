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
}
