//! Daraja's `SecurityCredential`: the initiator's password encrypted with the M-Pesa public key
//! certificate (RSA, PKCS #1 v1.5 padding, not OAEP), then base64, as the Daraja pages describe.
//! Safaricom gives one certificate for the sandbox and one for production; the simulator makes
//! its own key pair and publishes its certificate, so the depot is configured the same way
//! against either (ADR 0016).

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, LineEnding};
use rsa::rand_core::OsRng;
use rsa::{Pkcs1v15Encrypt, RsaPrivateKey, RsaPublicKey};
use x509_cert::der::{Decode, DecodePem, Encode};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    #[error("not an M-Pesa certificate (PEM or DER X.509 with an RSA key): {0}")]
    Certificate(String),
    #[error("the initiator password is too long for the certificate's key ({0} bytes)")]
    PasswordTooLong(usize),
    #[error("the initiator password is empty")]
    EmptyPassword,
    #[error("the security credential is not base64")]
    NotBase64,
    #[error("the security credential does not decrypt with this key")]
    DoesNotDecrypt,
    #[error("key: {0}")]
    Key(String),
}

/// The public key of Safaricom's (or the simulator's) certificate.
#[derive(Clone, PartialEq)]
pub struct MpesaCertificate {
    key: RsaPublicKey,
}

impl std::fmt::Debug for MpesaCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use rsa::traits::PublicKeyParts as _;
        write!(f, "MpesaCertificate(RSA {} bits)", self.key.n().bits())
    }
}

impl MpesaCertificate {
    /// Read a certificate file's bytes: a PEM `CERTIFICATE` (Safaricom's `.cer`), a DER
    /// certificate, or a bare PEM `PUBLIC KEY` / `RSA PUBLIC KEY`.
    pub fn from_bytes(bytes: &[u8]) -> Result<MpesaCertificate, CredentialError> {
        let bad = |e: &dyn std::fmt::Display| CredentialError::Certificate(e.to_string());
        let key = match std::str::from_utf8(bytes).ok().filter(|t| t.contains("-----BEGIN ")) {
            Some(pem) if pem.contains("-----BEGIN CERTIFICATE-----") => {
                let cert = x509_cert::Certificate::from_pem(pem.trim().as_bytes()).map_err(|e| bad(&e))?;
                Self::key_of(&cert)?
            }
            Some(pem) if pem.contains("-----BEGIN PUBLIC KEY-----") => {
                RsaPublicKey::from_public_key_pem(pem.trim()).map_err(|e| bad(&e))?
            }
            Some(pem) if pem.contains("-----BEGIN RSA PUBLIC KEY-----") => {
                RsaPublicKey::from_pkcs1_pem(pem.trim()).map_err(|e| bad(&e))?
            }
            Some(_) => return Err(CredentialError::Certificate("a PEM file without a certificate".into())),
            None => Self::key_of(&x509_cert::Certificate::from_der(bytes).map_err(|e| bad(&e))?)?,
        };
        Ok(MpesaCertificate { key })
    }

    fn key_of(cert: &x509_cert::Certificate) -> Result<RsaPublicKey, CredentialError> {
        let spki =
            cert.tbs_certificate.subject_public_key_info.to_der().map_err(|e| CredentialError::Certificate(e.to_string()))?;
        RsaPublicKey::from_public_key_der(&spki).map_err(|e| CredentialError::Certificate(format!("not an RSA key: {e}")))
    }

    /// The `SecurityCredential` for `password`: its bytes encrypted (PKCS #1 v1.5, random
    /// padding, so each call gives a different string that decrypts the same), in base64.
    pub fn security_credential(&self, password: &str) -> Result<String, CredentialError> {
        use rsa::traits::PublicKeyParts as _;
        if password.is_empty() {
            return Err(CredentialError::EmptyPassword);
        }
        if password.len() + 11 > self.key.size() {
            return Err(CredentialError::PasswordTooLong(password.len()));
        }
        let sealed = self
            .key
            .encrypt(&mut OsRng, Pkcs1v15Encrypt, password.as_bytes())
            .map_err(|e| CredentialError::Key(e.to_string()))?;
        Ok(BASE64.encode(sealed))
    }
}

/// The simulator's key pair and its self-signed certificate (what Safaricom's would be).
pub struct SimKey {
    private: RsaPrivateKey,
    certificate_pem: String,
}

impl SimKey {
    /// A new 2048-bit key (Safaricom's certificates carry 2048-bit RSA keys too).
    pub fn generate() -> Result<SimKey, CredentialError> {
        let private = RsaPrivateKey::new(&mut OsRng, 2048).map_err(|e| CredentialError::Key(e.to_string()))?;
        Self::with(private)
    }

    /// A key kept by an earlier run (`to_pkcs8_pem`), so a restarted simulator keeps the
    /// certificate the depot was configured with.
    pub fn from_pkcs8_pem(pem: &str) -> Result<SimKey, CredentialError> {
        Self::with(RsaPrivateKey::from_pkcs8_pem(pem).map_err(|e| CredentialError::Key(e.to_string()))?)
    }

    fn with(private: RsaPrivateKey) -> Result<SimKey, CredentialError> {
        let key_err = |e: &dyn std::fmt::Display| CredentialError::Key(e.to_string());
        let pkcs8 = private.to_pkcs8_pem(LineEnding::LF).map_err(|e| key_err(&e))?;
        let signer = rcgen::KeyPair::from_pem_and_sign_algo(&pkcs8, &rcgen::PKCS_RSA_SHA256).map_err(|e| key_err(&e))?;
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).map_err(|e| key_err(&e))?;
        params.distinguished_name.push(rcgen::DnType::CommonName, "Fundi M-Pesa simulator (not Safaricom)");
        let certificate_pem = params.self_signed(&signer).map_err(|e| key_err(&e))?.pem();
        Ok(SimKey { private, certificate_pem })
    }

    pub fn to_pkcs8_pem(&self) -> Result<String, CredentialError> {
        Ok(self.private.to_pkcs8_pem(LineEnding::LF).map_err(|e| CredentialError::Key(e.to_string()))?.to_string())
    }

    /// The certificate to configure the depot with (`GET /sim/certificate`).
    pub fn certificate_pem(&self) -> &str {
        &self.certificate_pem
    }

    /// The password inside a `SecurityCredential`.
    pub fn open(&self, credential: &str) -> Result<Vec<u8>, CredentialError> {
        let sealed = BASE64.decode(credential.trim()).map_err(|_| CredentialError::NotBase64)?;
        self.private.decrypt(Pkcs1v15Encrypt, &sealed).map_err(|_| CredentialError::DoesNotDecrypt)
    }
}

#[cfg(test)]
pub(crate) fn test_key() -> &'static SimKey {
    static KEY: std::sync::OnceLock<SimKey> = std::sync::OnceLock::new();
    KEY.get_or_init(|| SimKey::generate().unwrap())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_credential_sealed_with_the_published_certificate_opens_with_the_key_and_no_other() {
        let key = test_key();
        let cert = MpesaCertificate::from_bytes(key.certificate_pem().as_bytes()).unwrap();
        let a = cert.security_credential("Safe#Pass1").unwrap();
        let b = cert.security_credential("Safe#Pass1").unwrap();
        assert_ne!(a, b, "PKCS #1 v1.5 padding is random");
        assert_eq!(key.open(&a).unwrap(), b"Safe#Pass1");
        assert_eq!(key.open(&b).unwrap(), b"Safe#Pass1");
        assert_eq!(key.open("not base64!").unwrap_err(), CredentialError::NotBase64);
        assert_eq!(key.open(&BASE64.encode([7u8; 256])).unwrap_err(), CredentialError::DoesNotDecrypt);
        // The same key written as PKCS #8 and read back opens it too (a restarted simulator).
        let again = SimKey::from_pkcs8_pem(&key.to_pkcs8_pem().unwrap()).unwrap();
        assert_eq!(again.open(&a).unwrap(), b"Safe#Pass1");
    }

    #[test]
    fn certificates_are_read_as_pem_der_or_public_key_and_garbage_is_refused() {
        let key = test_key();
        let pem = key.certificate_pem();
        let der = x509_cert::Certificate::from_pem(pem.as_bytes()).unwrap().to_der().unwrap();
        let from_der = MpesaCertificate::from_bytes(&der).unwrap();
        assert_eq!(from_der, MpesaCertificate::from_bytes(pem.as_bytes()).unwrap());
        use rsa::pkcs8::EncodePublicKey as _;
        let spki = RsaPublicKey::from(&key.private).to_public_key_pem(LineEnding::LF).unwrap();
        assert_eq!(MpesaCertificate::from_bytes(spki.as_bytes()).unwrap(), from_der);
        assert!(MpesaCertificate::from_bytes(b"hello").is_err());
        assert!(MpesaCertificate::from_bytes(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").is_err());
        assert_eq!(from_der.security_credential("").unwrap_err(), CredentialError::EmptyPassword);
        assert_eq!(from_der.security_credential(&"x".repeat(250)).unwrap_err(), CredentialError::PasswordTooLong(250));
    }
}
