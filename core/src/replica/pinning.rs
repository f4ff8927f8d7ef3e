//! Which depot the phone will talk to: a rustls verifier that accepts exactly the key pinned at
//! enrollment (or the next key the depot announced, signed by that one), never "any
//! certificate", and never a public authority's word: a depot box has no public name. While
//! enrolling it accepts whatever key is presented and notes it; the enrollment exchange then
//! proves that key is the depot's (`fundi_sync::enrollment`) before anything is stored.
//!
//! The handshake's signatures are still checked (the server must hold the key it presents);
//! only the chain to an authority and the name are replaced by the pin.

use fundi_sync::identity::{fingerprint_of_cert, KeyFingerprint};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::Resumption;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// What the phone trusts for this connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trust {
    /// Enrolling: any key, noted, to be proven by the exchange.
    Enrolling,
    /// The pinned key (with its certificate, which checks the depot's announcements of its
    /// next key), and the announced next key if any.
    Pinned { current: KeyFingerprint, cert: Vec<u8>, next: Option<KeyFingerprint> },
}

/// What the last full handshake under one trust saw: the key presented and its certificate. A
/// resumed session presents none (it was made with a key checked before). Shared by every
/// transport with the same trust, since they talk to the same depot.
#[derive(Clone, Debug, Default)]
pub struct Seen {
    pub key: Option<KeyFingerprint>,
    pub cert: Option<Vec<u8>>,
}

/// The error a handshake fails with when the depot presents a key that is not pinned; the
/// transport finds it in the failed request's error chain.
#[derive(Debug, thiserror::Error)]
#[error("the depot presented key {presented}, which is not the pinned one")]
pub struct PinMismatch {
    pub presented: KeyFingerprint,
}

/// The key a failed request was refused for, if it failed on the pin.
pub fn pin_mismatch(error: &(dyn std::error::Error + 'static)) -> Option<KeyFingerprint> {
    let mut next = Some(error);
    while let Some(e) = next {
        // An I/O error hides the error it wraps from `source()` (and may wrap another): look
        // inside each one.
        let mut inner = Some(e);
        while let Some(candidate) = inner {
            if let Some(rustls::Error::InvalidCertificate(CertificateError::Other(other))) =
                candidate.downcast_ref::<rustls::Error>()
            {
                if let Some(m) = other.0.downcast_ref::<PinMismatch>() {
                    return Some(m.presented.clone());
                }
            }
            inner = candidate
                .downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
                .map(|i| i as &(dyn std::error::Error + 'static));
        }
        next = e.source();
    }
    None
}

#[derive(Debug)]
pub struct PinVerifier {
    trust: Trust,
    provider: Arc<CryptoProvider>,
    seen: Mutex<Seen>,
}

impl PinVerifier {
    pub fn seen(&self) -> Seen {
        self.seen.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

impl ServerCertVerifier for PinVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let key = fingerprint_of_cert(end_entity).ok_or(rustls::Error::InvalidCertificate(CertificateError::BadEncoding))?;
        let accepted = match &self.trust {
            Trust::Enrolling => true,
            Trust::Pinned { current, next, .. } => &key == current || next.as_ref() == Some(&key),
        };
        if !accepted {
            let mismatch = PinMismatch { presented: key };
            return Err(rustls::Error::InvalidCertificate(CertificateError::Other(rustls::OtherError(Arc::new(mismatch)))));
        }
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        seen.key = Some(key);
        seen.cert = Some(end_entity.to_vec());
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

/// Client configurations by pinned key and announced next key, kept for the process: rustls
/// resumes a session only under the very verifier that made it, so the next sync must reuse the
/// configuration of the last. A configuration made while enrolling (which accepts any key) is
/// never kept, and one made under another depot's pin is never used: resumption skips the
/// certificate, so a session may only be resumed under the pin it was made under.
type Configs = Mutex<HashMap<(KeyFingerprint, Option<KeyFingerprint>), (rustls::ClientConfig, Arc<PinVerifier>)>>;
static CONFIGS: OnceLock<Configs> = OnceLock::new();

/// Forget every TLS session this process could resume: the next connection makes a full
/// handshake (the sync benchmark compares the two).
pub fn forget_sessions() {
    if let Some(c) = CONFIGS.get() {
        c.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

fn new_config(trust: Trust) -> Result<(rustls::ClientConfig, Arc<PinVerifier>), rustls::Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let resumption = match &trust {
        Trust::Enrolling => Resumption::disabled(),
        Trust::Pinned { .. } => Resumption::in_memory_sessions(8),
    };
    let verifier = Arc::new(PinVerifier { trust, provider: provider.clone(), seen: Mutex::new(Seen::default()) });
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .dangerous() // the pin replaces the authorities, see the module comment
        .with_custom_certificate_verifier(verifier.clone())
        .with_no_client_auth();
    config.resumption = resumption;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok((config, verifier))
}

/// A client configuration that trusts what `trust` says, and the verifier (to read what it saw).
pub fn client_config(trust: Trust) -> Result<(rustls::ClientConfig, Arc<PinVerifier>), rustls::Error> {
    let Trust::Pinned { current, next, .. } = &trust else { return new_config(trust) };
    let mut configs = CONFIGS.get_or_init(Default::default).lock().unwrap_or_else(|p| p.into_inner());
    let key = (current.clone(), next.clone());
    if let Some(kept) = configs.get(&key) {
        return Ok(kept.clone());
    }
    let made = new_config(trust)?;
    configs.insert(key, made.clone());
    Ok(made)
}
