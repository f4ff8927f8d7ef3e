//! The core's internal error. Each module has its own error enum; this one gathers them with
//! `#[from]`, and the bindings turn it into the small public error the UI acts on.
//!
//! A refusal the UI explains to the user carries a typed [`NotAllowedReason`] (a full draft, a
//! draft sent for review, a role that may not act), never a sentence to parse.

use crate::photos::PhotoError;
use crate::storage::StorageError;
use fundi_sync::drafts::{FieldError, Problem};
use fundi_sync::fields::ProfileField;
use fundi_sync::hlc::ClockError;
use fundi_sync::workflow::DraftStatus;
use fundi_sync::RejectCode;

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
    /// A profile field's text the user can fix, and what is wrong with it.
    #[error("invalid profile field {field:?}: {problem:?}")]
    InvalidProfile { field: ProfileField, problem: Problem },
    #[error("{kind} not found")]
    NotFound { kind: &'static str },
    /// The record exists but this action is not allowed now, and the UI is told why.
    #[error("not allowed: {0:?}")]
    NotAllowed(NotAllowedReason),
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

/// Why an action is not allowed now, in terms the UI can explain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotAllowedReason {
    /// The draft already holds `max` photos, the most it may hold.
    DraftFull { max: u32 },
    /// The draft cannot change in its status (sent for review, or approved).
    NotEditable { status: DraftStatus },
    /// The draft is approved, so in the catalog: it cannot be deleted from the phone.
    InCatalog,
    /// This account's role, or its relation to the record, does not allow the action.
    WrongRole,
    /// The record's workflow does not allow the action from its current state.
    WrongState,
    /// The field is locked in the record's current state (a submitted draft, an approved price).
    Locked,
}

impl Error {
    /// Why the action was not allowed, if that is what this error says: its own reason, or the
    /// sync rules' refusal for a role, a state or a lock (other refusals, such as an invalid
    /// value, are not about what is allowed and give `None`).
    pub fn not_allowed_reason(&self) -> Option<NotAllowedReason> {
        match self {
            Error::NotAllowed(reason) => Some(*reason),
            Error::Rejected(r) => match r.code {
                RejectCode::Forbidden => Some(NotAllowedReason::WrongRole),
                RejectCode::IllegalTransition => Some(NotAllowedReason::WrongState),
                RejectCode::Locked => Some(NotAllowedReason::Locked),
                _ => None,
            },
            _ => None,
        }
    }
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
    /// The depot presented another key than the one pinned at enrollment (or, while
    /// enrolling, the exchange did not reach the key this connection saw): someone may stand
    /// between the phone and the depot. Never retried around; if the depot really changed its
    /// key, enroll again with a new code. Nothing was sent after the key was seen.
    #[error("the depot's identity changed (pinned {pinned}, presented {presented})")]
    DepotIdentityChanged { pinned: String, presented: String },
    /// The depot address is not `https://`: the phone never talks to a depot in clear.
    #[error("the depot address must start with https:// ({0})")]
    InsecureUrl(String),
    /// The device token, as sealed by the token vault, can never be opened again (its key is
    /// gone, or the bytes do not open with it): enroll again. Unsynced changes are kept.
    #[error("the device token cannot be opened: {0:?}")]
    CredentialLost(CredentialLoss),
    /// The token vault failed this time (a busy keystore): try again. `0` is for logs.
    #[error("the token vault failed: {0}")]
    VaultFailed(String),
}

/// Why the sealed device token can never be opened again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialLoss {
    /// The vault's key is gone (a keystore reset, the app's data moved to another phone).
    KeyGone,
    /// The sealed bytes do not open with the vault's key (another key, damaged, another format).
    Unreadable,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;
    use fundi_sync::Rejection;

    #[test]
    fn refusals_about_role_state_or_lock_are_not_allowed_with_their_reason() {
        let refused = |code| Error::Rejected(Rejection::new(code, "detail")).not_allowed_reason();
        assert_eq!(refused(RejectCode::Forbidden), Some(NotAllowedReason::WrongRole));
        assert_eq!(refused(RejectCode::IllegalTransition), Some(NotAllowedReason::WrongState));
        assert_eq!(refused(RejectCode::Locked), Some(NotAllowedReason::Locked));
        assert_eq!(refused(RejectCode::Invalid), None);
        let full = Error::NotAllowed(NotAllowedReason::DraftFull { max: 8 });
        assert_eq!(full.not_allowed_reason(), Some(NotAllowedReason::DraftFull { max: 8 }));
        assert_eq!(Error::Closed.not_allowed_reason(), None);
    }
}
