//! The token vault: what seals this phone's device token before it is written to the database,
//! and opens it again for each authenticated request. The core never stores the token in clear
//! when it is given a real vault (the Android app's wraps it with an AES key held by the Android
//! Keystore, ADR 0017); it keeps only the sealed bytes and does not know their format.
//!
//! [`PlaintextTokenVault`] is the vault used when none is given (host tests, the depot's `demo`
//! subcommand, command-line tools): it does not encrypt. Its name says so on purpose.

use crate::error::{CredentialLoss, Error, SyncError};
use std::sync::Arc;

/// Why the vault could not seal or open a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VaultError {
    /// The vault's key is gone or permanently invalidated (a keystore reset, the app's data
    /// restored onto another phone): a token sealed with it can never be opened again.
    #[error("the token vault's key is gone")]
    KeyGone,
    /// The sealed bytes do not open with this vault's key (another key, damaged bytes, another
    /// format).
    #[error("the sealed token does not open with this vault")]
    Unreadable,
    /// The vault failed this time (a busy keystore, an error it could not classify): trying
    /// again may work. `detail` is for logs.
    #[error("the token vault failed: {0}")]
    Failed(String),
}

/// Seals and opens the device token. Implemented by the platform (the Android Keystore) and
/// handed to [`crate::Store::open_with_vault`]; called on the thread of the core's call, outside
/// any database transaction.
pub trait TokenVault: Send + Sync {
    /// The sealed form of `plain`, the only form the core writes.
    fn seal(&self, plain: &[u8]) -> Result<Vec<u8>, VaultError>;
    /// `plain` back from what [`TokenVault::seal`] returned.
    fn open(&self, sealed: &[u8]) -> Result<Vec<u8>, VaultError>;
}

/// The vault used when none is given: it **does not encrypt**. What it "seals" is the token
/// behind a marker, so that a token sealed by a real vault is refused as [`VaultError::Unreadable`]
/// (not sent to the depot as garbage), and the other way round. For host tests, the depot's
/// `demo` subcommand and tools; the Android app always passes its Keystore vault.
pub struct PlaintextTokenVault;

const PLAINTEXT_MARKER: &[u8] = b"fundi-plaintext-token-v1:";

impl TokenVault for PlaintextTokenVault {
    fn seal(&self, plain: &[u8]) -> Result<Vec<u8>, VaultError> {
        Ok([PLAINTEXT_MARKER, plain].concat())
    }

    fn open(&self, sealed: &[u8]) -> Result<Vec<u8>, VaultError> {
        sealed.strip_prefix(PLAINTEXT_MARKER).map(<[u8]>::to_vec).ok_or(VaultError::Unreadable)
    }
}

/// The default vault, shared.
pub fn plaintext() -> Arc<dyn TokenVault> {
    Arc::new(PlaintextTokenVault)
}

/// A vault's failure as the core's error: a token that can never be opened means "enroll
/// again" (the unsynced changes stay); a passing failure is the phone's storage failing once.
impl From<VaultError> for Error {
    fn from(e: VaultError) -> Self {
        match e {
            VaultError::KeyGone => SyncError::CredentialLost(CredentialLoss::KeyGone).into(),
            VaultError::Unreadable => SyncError::CredentialLost(CredentialLoss::Unreadable).into(),
            VaultError::Failed(detail) => SyncError::VaultFailed(detail).into(),
        }
    }
}

/// Seal `token` for the database.
pub(crate) fn seal(vault: &dyn TokenVault, token: &str) -> Result<Vec<u8>, Error> {
    Ok(vault.seal(token.as_bytes())?)
}

/// Open a sealed token; bytes that open to something other than text are unreadable.
pub(crate) fn open(vault: &dyn TokenVault, sealed: &[u8]) -> Result<String, Error> {
    let plain = vault.open(sealed)?;
    String::from_utf8(plain).map_err(|_| VaultError::Unreadable.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plaintext_vault_round_trips_and_refuses_what_it_did_not_seal() {
        let v = PlaintextTokenVault;
        let sealed = v.seal(b"tok").unwrap();
        assert_eq!(v.open(&sealed).unwrap(), b"tok");
        assert_eq!(v.open(b"\x01\x0c something sealed elsewhere"), Err(VaultError::Unreadable));
        assert!(matches!(open(&v, &v.seal(&[0xff, 0xfe]).unwrap()), Err(Error::Sync(SyncError::CredentialLost(_)))));
    }
}
