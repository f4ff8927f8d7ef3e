//! The core's internal error. Each module has its own error enum; this one gathers them with
//! `#[from]`, and the bindings turn it into the small public error the UI acts on.

use crate::photos::PhotoError;
use crate::storage::StorageError;
use fundi_sync::drafts::FieldError;
use fundi_sync::hlc::ClockError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Clock(#[from] ClockError),
    #[error(transparent)]
    Photo(#[from] PhotoError),
    /// Input the user can fix, one entry per field.
    #[error("invalid input: {0:?}")]
    Invalid(Vec<FieldError>),
    #[error("{kind} not found")]
    NotFound { kind: &'static str },
    /// The record exists but is in a state where this action is not allowed
    /// (e.g. editing a draft already submitted for review).
    #[error("cannot {action} a {kind} that is {state}")]
    InvalidState { kind: &'static str, action: &'static str, state: &'static str },
    /// Syncing with the depot failed (offline, credential refused, ...).
    #[error(transparent)]
    Sync(#[from] SyncError),
    /// A command or write the sync rules do not allow (checked on the phone before queueing).
    #[error("refused: {0}")]
    Rejected(fundi_sync::Rejection),
    /// The store was closed; the handle can no longer be used.
    #[error("store is closed")]
    Closed,
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Error::Storage(StorageError::from(e))
    }
}

/// What can go wrong in a sync, as the UI acts on it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyncError {
    #[error("this phone is not enrolled with a depot")]
    NotEnrolled,
    /// No connection, a timeout, or the connection dropped: try again later.
    #[error("depot unreachable: {0}")]
    Offline(String),
    /// The credential was refused (`unauthorized`, `token_expired`, `revoked`): enroll again.
    #[error("credential refused: {code}")]
    Unauthorized { code: String },
    /// The depot refused the request as a whole.
    #[error("depot refused the request ({status} {code}): {detail}")]
    Server { status: u16, code: String, detail: String },
    /// The depot's answer could not be understood.
    #[error("bad answer from the depot: {0}")]
    Protocol(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
