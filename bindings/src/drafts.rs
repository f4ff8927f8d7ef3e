//! Catalog drafts across the FFI: records mirroring core's types, and `DraftStore`, the object
//! Kotlin holds (one per database file).

use crate::error::FundiError;
use fundi_core::drafts as core;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ProductCategory {
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum DraftState {
    Draft,
    Submitted,
    ChangesRequested,
    Approved,
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct DraftRecord {
    pub id: String,
    pub title: String,
    pub description: String,
    pub materials: Vec<String>,
    pub category: ProductCategory,
    /// KES cents.
    pub price_minor: i64,
    pub currency: String,
    pub weekly_capacity: u32,
    pub state: DraftState,
    /// True when the artisan may still edit (and so submit) the draft.
    pub editable: bool,
    pub created_at_ms: u64,
    pub updated_at_ms: u64,
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct NewDraftInput {
    pub title: String,
    pub description: String,
    pub materials: Vec<String>,
    pub category: ProductCategory,
    pub price_minor: i64,
    pub weekly_capacity: u32,
}

/// Fields left null are not changed.
#[derive(Debug, Clone, Default, uniffi::Record)]
pub struct DraftChanges {
    #[uniffi(default = None)]
    pub title: Option<String>,
    #[uniffi(default = None)]
    pub description: Option<String>,
    #[uniffi(default = None)]
    pub materials: Option<Vec<String>>,
    #[uniffi(default = None)]
    pub category: Option<ProductCategory>,
    #[uniffi(default = None)]
    pub price_minor: Option<i64>,
    #[uniffi(default = None)]
    pub weekly_capacity: Option<u32>,
}

/// The editor's fields exactly as typed.
#[derive(Debug, Clone, uniffi::Record)]
pub struct DraftFormInput {
    pub title: String,
    pub description: String,
    /// "sisal, leather" or one per line.
    pub materials: String,
    pub category: Option<ProductCategory>,
    /// As typed: "1,250", "KSh 1,250.50".
    pub price: String,
    pub weekly_capacity: String,
}

/// Read the editor form: the checked draft, or `InvalidInput` with every field's issue at once.
#[uniffi::export]
pub fn read_draft_form(form: DraftFormInput) -> Result<NewDraftInput, FundiError> {
    Ok(core::validate::read_form(&form.into()).map_err(fundi_core::Error::Invalid)?.into())
}

/// The categories in the order the editor offers them.
#[uniffi::export]
pub fn product_categories() -> Vec<ProductCategory> {
    core::Category::ALL.into_iter().map(Into::into).collect()
}

/// A phone's database of drafts. Thread-safe; calls block on SQLite, so Kotlin calls them off
/// the main thread.
#[derive(uniffi::Object)]
pub struct DraftStore {
    pub(crate) inner: fundi_core::Store,
}

#[uniffi::export]
impl DraftStore {
    /// Open (or create) the database file at `path`.
    #[uniffi::constructor]
    pub fn open(path: String) -> Result<Arc<Self>, FundiError> {
        Ok(Arc::new(DraftStore { inner: fundi_core::Store::open(path)? }))
    }

    pub fn create_draft(&self, input: NewDraftInput) -> Result<DraftRecord, FundiError> {
        Ok(self.inner.create_draft(input.into())?.into())
    }

    pub fn update_draft(&self, id: String, changes: DraftChanges) -> Result<DraftRecord, FundiError> {
        Ok(self.inner.update_draft(&id, changes.into())?.into())
    }

    pub fn get_draft(&self, id: String) -> Result<DraftRecord, FundiError> {
        Ok(self.inner.get_draft(&id)?.into())
    }

    /// Live drafts, newest first.
    pub fn list_drafts(&self) -> Result<Vec<DraftRecord>, FundiError> {
        Ok(self.inner.list_drafts()?.into_iter().map(Into::into).collect())
    }

    pub fn delete_draft(&self, id: String) -> Result<(), FundiError> {
        Ok(self.inner.delete_draft(&id)?)
    }

    pub fn submit_draft(&self, id: String) -> Result<DraftRecord, FundiError> {
        Ok(self.inner.submit_draft(&id)?.into())
    }

    /// Close the database now; later calls fail with `FundiError.Closed`. (Kotlin's
    /// `close()`/`use {}` frees the object itself, which also closes the database.)
    pub fn close_database(&self) -> Result<(), FundiError> {
        Ok(self.inner.close()?)
    }
}

impl From<core::Category> for ProductCategory {
    fn from(c: core::Category) -> Self {
        use core::Category as C;
        match c {
            C::Jewelry => Self::Jewelry,
            C::Textiles => Self::Textiles,
            C::Baskets => Self::Baskets,
            C::HomeDecor => Self::HomeDecor,
            C::Carvings => Self::Carvings,
            C::Pottery => Self::Pottery,
            C::Leather => Self::Leather,
            C::Beadwork => Self::Beadwork,
            C::Other => Self::Other,
        }
    }
}

impl From<ProductCategory> for core::Category {
    fn from(c: ProductCategory) -> Self {
        use ProductCategory as P;
        match c {
            P::Jewelry => Self::Jewelry,
            P::Textiles => Self::Textiles,
            P::Baskets => Self::Baskets,
            P::HomeDecor => Self::HomeDecor,
            P::Carvings => Self::Carvings,
            P::Pottery => Self::Pottery,
            P::Leather => Self::Leather,
            P::Beadwork => Self::Beadwork,
            P::Other => Self::Other,
        }
    }
}

impl From<core::DraftStatus> for DraftState {
    fn from(s: core::DraftStatus) -> Self {
        match s {
            core::DraftStatus::Draft => Self::Draft,
            core::DraftStatus::Submitted => Self::Submitted,
            core::DraftStatus::ChangesRequested => Self::ChangesRequested,
            core::DraftStatus::Approved => Self::Approved,
        }
    }
}

impl From<core::Draft> for DraftRecord {
    fn from(d: core::Draft) -> Self {
        DraftRecord {
            editable: d.status.is_editable(),
            id: d.id,
            title: d.title,
            description: d.description,
            materials: d.materials,
            category: d.category.into(),
            price_minor: d.price.minor,
            currency: d.price.currency.code().to_string(),
            weekly_capacity: d.weekly_capacity,
            state: d.status.into(),
            created_at_ms: d.created_at_ms,
            updated_at_ms: d.updated_at_ms,
        }
    }
}

impl From<NewDraftInput> for core::NewDraft {
    fn from(i: NewDraftInput) -> Self {
        core::NewDraft {
            title: i.title,
            description: i.description,
            materials: i.materials,
            category: i.category.into(),
            price_minor: i.price_minor,
            weekly_capacity: i.weekly_capacity,
        }
    }
}

impl From<DraftFormInput> for core::DraftForm {
    fn from(f: DraftFormInput) -> Self {
        core::DraftForm {
            title: f.title,
            description: f.description,
            materials: f.materials,
            category: f.category.map(Into::into),
            price: f.price,
            weekly_capacity: f.weekly_capacity,
        }
    }
}

impl From<core::NewDraft> for NewDraftInput {
    fn from(d: core::NewDraft) -> Self {
        NewDraftInput {
            title: d.title,
            description: d.description,
            materials: d.materials,
            category: d.category.into(),
            price_minor: d.price_minor,
            weekly_capacity: d.weekly_capacity,
        }
    }
}

impl From<DraftChanges> for core::DraftPatch {
    fn from(c: DraftChanges) -> Self {
        core::DraftPatch {
            title: c.title,
            description: c.description,
            materials: c.materials,
            category: c.category.map(Into::into),
            price_minor: c.price_minor,
            weekly_capacity: c.weekly_capacity,
        }
    }
}
