//! A draft under review as the UI lists it.

use fundi_sync::workflow::DraftStatus;

#[derive(Clone, Debug, PartialEq)]
pub struct ReviewDraft {
    pub id: String,
    pub owner: String,
    pub title: String,
    pub status: DraftStatus,
}
