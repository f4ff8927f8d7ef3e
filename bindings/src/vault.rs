//! The token vault across the FFI: Kotlin implements [`TokenVault`] (the app's, over the Android
//! Keystore) and hands it to [`crate::FundiPhone::open_with_vault`]; the core calls it to seal
//! the device token before writing it and to open it for each request.

use fundi_core::account::{self as core, VaultError};
use std::sync::Arc;

/// Why a vault could not seal or open, as Kotlin throws it.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum TokenVaultError {
    /// The key is gone or permanently invalidated (keystore reset, data moved to another phone).
    #[error("key gone")]
    KeyGone,
    /// The sealed bytes do not open with this key (another key, damaged, another format).
    #[error("unreadable")]
    Unreadable,
    /// Failed this time; trying again may work. `detail` is for logs.
    #[error("vault failed: {detail}")]
    Failed { detail: String },
}

/// An exception of another type thrown by the Kotlin vault (a bug, a provider's surprise) is a
/// failure of this time, never a panic through the core.
impl From<uniffi::UnexpectedUniFFICallbackError> for TokenVaultError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        TokenVaultError::Failed { detail: e.reason }
    }
}

/// Seals and opens the device token; see the core's `TokenVault`. Called on the thread of the
/// core call that needs the token (the worker's, never the main thread).
#[uniffi::export(with_foreign)]
pub trait TokenVault: Send + Sync {
    fn seal(&self, plain: Vec<u8>) -> Result<Vec<u8>, TokenVaultError>;
    fn open(&self, sealed: Vec<u8>) -> Result<Vec<u8>, TokenVaultError>;
}

/// Kotlin's vault as the core's.
pub(crate) struct ForeignVault(pub Arc<dyn TokenVault>);

impl From<TokenVaultError> for VaultError {
    fn from(e: TokenVaultError) -> Self {
        match e {
            TokenVaultError::KeyGone => VaultError::KeyGone,
            TokenVaultError::Unreadable => VaultError::Unreadable,
            TokenVaultError::Failed { detail } => VaultError::Failed(detail),
        }
    }
}

/// A panic in the call (uniffi's answer to something it could not convert) is a failure too.
fn guarded(call: impl FnOnce() -> Result<Vec<u8>, TokenVaultError>) -> Result<Vec<u8>, VaultError> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(call)) {
        Ok(result) => result.map_err(VaultError::from),
        Err(_) => Err(VaultError::Failed("the vault panicked".into())),
    }
}

impl core::TokenVault for ForeignVault {
    fn seal(&self, plain: &[u8]) -> Result<Vec<u8>, VaultError> {
        guarded(|| self.0.seal(plain.to_vec()))
    }

    fn open(&self, sealed: &[u8]) -> Result<Vec<u8>, VaultError> {
        guarded(|| self.0.open(sealed.to_vec()))
    }
}
