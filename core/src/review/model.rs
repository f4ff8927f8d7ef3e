//! A draft under review as the UI lists it.

use fundi_sync::workflow::{DraftCommand, DraftStatus};

#[derive(Clone, Debug, PartialEq)]
pub struct ReviewDraft {
    pub id: String,
    pub owner: String,
    pub title: String,
    pub status: DraftStatus,
    /// The review commands this account may issue now (the depot's table): its buttons.
    pub commands: Vec<DraftCommand>,
}
