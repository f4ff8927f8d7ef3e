//! Catalog drafts across the FFI: the core's draft types, and `DraftService`.

use crate::error::FundiError;
use fundi_core::drafts::validate::read_form;
use fundi_core::drafts::{
    first_field_in_error as first_field, Category, Draft, DraftField, DraftForm, DraftPatch, DraftStatus, FieldError, NewDraft,
};
use fundi_core::money::{Currency, Money};
use fundi_core::Store;
use std::sync::Arc;

#[uniffi::remote(Enum)]
pub enum Category {
    Jewelry,
    Textiles,
    Baskets,
    HomeDecor,
    Carvings,
    Pottery,
    Leather,
    Beadwork,
    Other,
}

#[uniffi::remote(Enum)]
pub enum DraftStatus {
    Draft,
    Submitted,
    ChangesRequested,
    Approved,
}

#[uniffi::remote(Enum)]
pub enum Currency {
    Kes,
}

#[uniffi::remote(Record)]
pub struct Money {
    pub minor: i64,
    pub currency: Currency,
}

#[uniffi::remote(Record)]
pub struct Draft {
    pub id: String,
    pub title: String,
    pub description: String,
    pub materials: Vec<String>,
    pub category: Category,
    pub price: Money,
    pub weekly_capacity: u32,
    pub status: DraftStatus,
    pub created_at_ms: u64,
    pub updated_at_ms: u64,
}

#[uniffi::remote(Record)]
pub struct NewDraft {
    pub title: String,
    pub description: String,
    pub materials: Vec<String>,
    pub category: Category,
    pub price_minor: i64,
    pub weekly_capacity: u32,
}

/// Fields left null are not changed.
#[uniffi::remote(Record)]
pub struct DraftPatch {
    #[uniffi(default = None)]
    pub title: Option<String>,
    #[uniffi(default = None)]
    pub description: Option<String>,
    #[uniffi(default = None)]
    pub materials: Option<Vec<String>>,
    #[uniffi(default = None)]
    pub category: Option<Category>,
    #[uniffi(default = None)]
    pub price_minor: Option<i64>,
    #[uniffi(default = None)]
    pub weekly_capacity: Option<u32>,
}

/// The editor's fields exactly as typed.
#[uniffi::remote(Record)]
pub struct DraftForm {
    pub title: String,
    pub description: String,
    pub materials: String,
    pub category: Option<Category>,
    pub price: String,
    pub weekly_capacity: String,
}

/// Read the editor form: the checked draft, or `InvalidInput` with every field's issue at once.
#[uniffi::export]
pub fn read_draft_form(form: DraftForm) -> Result<NewDraft, FundiError> {
    Ok(read_form(&form).map_err(fundi_core::Error::Invalid)?)
}

/// The categories in the order the editor offers them.
#[uniffi::export]
pub fn product_categories() -> Vec<Category> {
    Category::ALL.to_vec()
}

/// True when the artisan may still edit (and so submit) a draft in this status.
#[uniffi::export]
pub fn is_editable(status: DraftStatus) -> bool {
    status.is_editable()
}

/// True when the artisan may start a new version of a draft in this status (an approved one):
/// the editor's "Make a new version" (`DraftService.revise_draft`).
#[uniffi::export]
pub fn can_revise(status: DraftStatus) -> bool {
    fundi_core::drafts::can_revise(status)
}

/// A new draft's id, chosen by the editor before its first save and kept in its saved state,
/// so that saving again (after a rotation, or after the app was killed during the first save)
/// updates that draft instead of making a second one (see `DraftService.save_draft`).
#[uniffi::export]
pub fn new_draft_id() -> String {
    fundi_core::ids::new_id()
}

/// The field a refused save is first about, top to bottom as the editor shows them (the one to
/// scroll to, focus and announce); null when the issues name none.
#[uniffi::export]
pub fn first_field_in_error(issues: Vec<FieldError>) -> Option<DraftField> {
    first_field(&issues)
}

/// A phone's drafts, from [`crate::FundiPhone::drafts`].
#[derive(uniffi::Object)]
pub struct DraftService {
    pub(crate) inner: Arc<Store>,
}

#[uniffi::export]
impl DraftService {
    pub fn create_draft(&self, input: NewDraft) -> Result<Draft, FundiError> {
        Ok(self.inner.create_draft(input)?)
    }

    /// Save the draft the editor gave the id `id` (from `new_draft_id`): created on its first
    /// save, updated after; saving the same input twice leaves one draft and stamps nothing.
    pub fn save_draft(&self, id: String, input: NewDraft) -> Result<Draft, FundiError> {
        Ok(self.inner.save_draft(&id, input)?)
    }

    pub fn update_draft(&self, id: String, patch: DraftPatch) -> Result<Draft, FundiError> {
        Ok(self.inner.update_draft(&id, patch)?)
    }

    pub fn get_draft(&self, id: String) -> Result<Draft, FundiError> {
        Ok(self.inner.get_draft(&id)?)
    }

    /// Live drafts, newest first.
    pub fn list_drafts(&self) -> Result<Vec<Draft>, FundiError> {
        Ok(self.inner.list_drafts()?)
    }

    pub fn delete_draft(&self, id: String) -> Result<(), FundiError> {
        Ok(self.inner.delete_draft(&id)?)
    }

    pub fn submit_draft(&self, id: String) -> Result<Draft, FundiError> {
        Ok(self.inner.submit_draft(&id)?)
    }

    /// Start a new version of an approved product: the draft is editable again (and goes
    /// through review again) while the approved version stays on sale until the new one is
    /// approved. From another status: `NotAllowed(WrongState)`.
    pub fn revise_draft(&self, id: String) -> Result<Draft, FundiError> {
        Ok(self.inner.revise_draft(&id)?)
    }

    /// The reviewer's note on a draft (why changes were requested), null when there is none.
    pub fn review_note(&self, id: String) -> Result<Option<String>, FundiError> {
        Ok(self.inner.draft_review_note(&id)?)
    }
}
