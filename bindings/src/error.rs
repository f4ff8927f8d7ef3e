//! The one public error Kotlin catches. Its variants are what the UI acts on; the conversion
//! from the core's internal error happens here and only here.

use fundi_core::account::CredentialLoss;
use fundi_core::drafts::{DraftField, DraftStatus, FieldError, Problem};
use fundi_core::photos::PhotoError;
use fundi_core::replica::SyncError;
use fundi_core::storage::StorageError;
use fundi_core::{Error as CoreError, NotAllowedReason};

/// A field the UI should mark, and why.
#[uniffi::remote(Record)]
pub struct FieldError {
    pub field: DraftField,
    pub problem: Problem,
}

/// The fields a validation error can point at, in the editor's order.
#[uniffi::remote(Enum)]
pub enum DraftField {
    Title,
    Description,
    Materials,
    Category,
    Price,
    WeeklyCapacity,
}

#[uniffi::remote(Enum)]
pub enum Problem {
    Required,
    TooLong { max: u32 },
    TooMany { max: u32 },
    TooSmall { min: i64 },
    TooLarge { max: i64 },
    InvalidCharacters,
}

/// Why an action is not allowed now, in terms the UI can explain.
#[uniffi::remote(Enum)]
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

/// Why a photo was refused, in terms the UI can translate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum PhotoProblem {
    /// The file is empty.
    Empty,
    /// Not an image the app reads: JPEG, PNG, WebP, GIF or BMP ("choose a photo").
    NotAnImage,
    /// A HEIC/HEIF photo: the app asks for it as JPEG (the camera's "Most compatible" setting,
    /// or share it as JPEG).
    Heic,
    /// Far larger than any camera photo (or a decompression bomb).
    TooLarge,
    /// The file was cut short (an interrupted copy).
    Truncated,
    /// The image data is damaged.
    Damaged,
    /// A kind of JPEG this app cannot read (CMYK, arithmetic coding...).
    Unsupported,
    /// The file could not be opened (moved, deleted, no permission).
    Unreadable,
}

/// Why this phone's sealed device token can never be opened again.
#[uniffi::remote(Enum)]
pub enum CredentialLoss {
    /// The token vault's key is gone (a keystore reset, the app's data on another phone).
    KeyGone,
    /// The sealed token does not open with the vault's key.
    Unreadable,
}

#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum FundiError {
    /// Input the user can fix: show each issue next to its field.
    #[error("invalid input")]
    InvalidInput { issues: Vec<FieldError> },
    /// A profile field's text the user can fix: show `problem` next to `field`.
    #[error("invalid profile field {field:?}: {problem:?}")]
    InvalidProfile { field: fundi_sync::fields::ProfileField, problem: Problem },
    #[error("not found")]
    NotFound,
    /// The action is not allowed now; `reason` says why (a full draft, a draft sent for review,
    /// a role that may not act, ...).
    #[error("not allowed now: {reason:?}")]
    NotAllowed { reason: NotAllowedReason },
    /// The phone is out of space: ask the user to free some.
    #[error("storage full")]
    StorageFull,
    /// The phone's storage failed to read or write (an I/O error): nothing of the change was
    /// kept; try again, and restart the phone if it keeps happening. `detail` is for logs.
    #[error("storage failed: {detail}")]
    StorageFailed { detail: String },
    /// The database file is damaged or not a database. It was left untouched.
    #[error("storage corrupt")]
    StorageCorrupt,
    /// The database was written by a newer version of the app.
    #[error("app too old for this data (schema {found}, supported {supported})")]
    AppTooOld { found: u32, supported: u32 },
    /// The photo cannot be used; `reason` says what to tell the artisan.
    #[error("invalid photo: {reason:?}")]
    InvalidPhoto { reason: PhotoProblem },
    /// The depot cannot be reached (no network, timeout): try again later; nothing is lost.
    #[error("offline: {detail}")]
    Offline { detail: String },
    /// The depot refused this phone's credential (`reason`: unauthorized, token_expired,
    /// revoked): enroll the phone again.
    #[error("unauthorized: {reason}")]
    Unauthorized { reason: String },
    /// This phone is not enrolled with a depot yet.
    #[error("not enrolled")]
    NotEnrolled,
    /// This phone's device token, sealed by the token vault, can never be opened again
    /// (`reason`): enroll the phone again. Unsynced changes are kept and sent after.
    #[error("credential lost: {reason:?}")]
    CredentialLost { reason: CredentialLoss },
    /// The depot presented another key than the one this phone enrolled with: someone may be
    /// between the phone and the depot. Never retry around it; if the depot really changed its
    /// key, the phone must enroll again with a new code. Nothing was sent.
    #[error("depot identity changed")]
    DepotIdentityChanged,
    /// The sync rules refuse this command or edit for another cause than role, state or lock
    /// (those are `NotAllowed`): `code` is the rule's (invalid, ...).
    #[error("conflict: {code}: {detail}")]
    Conflict { code: String, detail: String },
    /// The depot refused a whole request or answered something this app cannot read.
    #[error("depot error {code}: {detail}")]
    Depot { code: String, detail: String },
    /// The database was closed (`FundiPhone.closeDatabase`); open the phone again.
    #[error("closed")]
    Closed,
    /// Anything else; `detail` is for logs and bug reports, never shown to users as is.
    #[error("internal error: {detail}")]
    Internal { detail: String },
}

/// One field's issue (from parsing what was typed into it).
impl From<FieldError> for FundiError {
    fn from(e: FieldError) -> Self {
        FundiError::InvalidInput { issues: vec![e] }
    }
}

/// The one place core errors become public ones. Internal detail goes to `Internal` only; no
/// user content (titles, descriptions) is ever part of an error.
impl From<CoreError> for FundiError {
    fn from(e: CoreError) -> Self {
        if let Some(reason) = e.not_allowed_reason() {
            return FundiError::NotAllowed { reason };
        }
        match e {
            CoreError::Invalid(issues) => FundiError::InvalidInput { issues },
            CoreError::InvalidProfile { field, problem } => FundiError::InvalidProfile { field, problem },
            CoreError::NotFound { .. } => FundiError::NotFound,
            CoreError::Closed => FundiError::Closed,
            CoreError::Sync(e) => match e {
                SyncError::Offline(detail) => FundiError::Offline { detail },
                SyncError::Unauthorized { code } => FundiError::Unauthorized { reason: code },
                SyncError::NotEnrolled => FundiError::NotEnrolled,
                SyncError::Server { code, detail, .. } => FundiError::Depot { code, detail },
                SyncError::Protocol(detail) => FundiError::Depot { code: "protocol".into(), detail },
                SyncError::DepotIdentityChanged { .. } => FundiError::DepotIdentityChanged,
                SyncError::InsecureUrl(detail) => FundiError::Depot { code: "https_required".into(), detail },
                SyncError::CredentialLost(reason) => FundiError::CredentialLost { reason },
                // The keystore failing once is the phone's storage failing: try again.
                SyncError::VaultFailed(detail) => FundiError::StorageFailed { detail: format!("token vault: {detail}") },
            },
            CoreError::Rejected(r) => FundiError::Conflict { code: r.code.code().to_string(), detail: r.detail },
            CoreError::Storage(StorageError::Full) => FundiError::StorageFull,
            CoreError::Storage(StorageError::Io(detail)) => FundiError::StorageFailed { detail },
            CoreError::Storage(StorageError::Corrupt) => FundiError::StorageCorrupt,
            CoreError::Storage(StorageError::NewerSchema { found, supported }) => FundiError::AppTooOld { found, supported },
            CoreError::Photo(e) => e.into(),
            other => FundiError::Internal { detail: other.to_string() },
        }
    }
}

impl From<PhotoError> for FundiError {
    fn from(e: PhotoError) -> Self {
        let invalid = |reason| FundiError::InvalidPhoto { reason };
        match e {
            e if e.is_storage_full() => FundiError::StorageFull,
            PhotoError::Empty => invalid(PhotoProblem::Empty),
            PhotoError::NotAnImage => invalid(PhotoProblem::NotAnImage),
            PhotoError::TooLarge { .. } | PhotoError::FileTooLarge { .. } => invalid(PhotoProblem::TooLarge),
            PhotoError::Truncated => invalid(PhotoProblem::Truncated),
            PhotoError::Corrupt(_) => invalid(PhotoProblem::Damaged),
            PhotoError::Unsupported(_) => invalid(PhotoProblem::Unsupported),
            PhotoError::Heic => invalid(PhotoProblem::Heic),
            PhotoError::Unreadable(_) => invalid(PhotoProblem::Unreadable),
            other @ (PhotoError::Io(_) | PhotoError::Internal(_)) => FundiError::Internal { detail: other.to_string() },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A full disk and a failing one stay apart: the UI asks to free space for one, to try
    /// again for the other.
    #[test]
    fn a_full_disk_and_a_failing_one_are_told_apart() {
        assert!(matches!(FundiError::from(CoreError::Storage(StorageError::Full)), FundiError::StorageFull));
        let failed = FundiError::from(CoreError::Storage(StorageError::Io("disk I/O error".into())));
        assert!(matches!(&failed, FundiError::StorageFailed { detail } if detail == "disk I/O error"), "{failed:?}");
    }
}
