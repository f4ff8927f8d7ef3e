//! The depot's identity as the phone pins it: the SHA-256 of the public key (the DER
//! `SubjectPublicKeyInfo`) of the certificate the depot serves over TLS. A depot box has no
//! public name, so no certificate authority vouches for it; the phone learns this fingerprint
//! at enrollment (the exchange is bound to it, see [`crate::enrollment`]) and from then on
//! accepts no other key, except a next key that the current one announced and signed
//! ([`KeyAnnouncement`]). ADR 0011 has the reasons.

use crate::hash::sha256_hex;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The fingerprint of a depot's public key: SHA-256 over its DER `SubjectPublicKeyInfo`, in
/// lowercase hex (64 digits) on the wire and in storage.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct KeyFingerprint(String);

impl KeyFingerprint {
    /// The fingerprint of a DER `SubjectPublicKeyInfo`.
    pub fn of_spki(spki_der: &[u8]) -> KeyFingerprint {
        KeyFingerprint(sha256_hex(spki_der))
    }

    pub fn as_hex(&self) -> &str {
        &self.0
    }

    /// The raw 32 bytes (what the enrollment binding and the announcement sign).
    pub fn bytes(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        for (i, b) in out.iter_mut().enumerate() {
            *b = u8::from_str_radix(&self.0[2 * i..2 * i + 2], 16).expect("checked at construction");
        }
        out
    }

    /// The first 80 bits in five groups of four, for a person to compare by eye
    /// (`serve` prints it; the printed enrollment card shows it).
    pub fn short(&self) -> String {
        self.0[..20].to_uppercase().as_bytes().chunks(4).map(|c| std::str::from_utf8(c).unwrap()).collect::<Vec<_>>().join("-")
    }
}

impl TryFrom<String> for KeyFingerprint {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        if crate::hash::is_content_hash(&s) {
            Ok(KeyFingerprint(s))
        } else {
            Err("a key fingerprint is 64 lowercase hex digits".into())
        }
    }
}

impl From<KeyFingerprint> for String {
    fn from(k: KeyFingerprint) -> String {
        k.0
    }
}

impl fmt::Display for KeyFingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The response header in which a depot announces its next key.
pub const NEXT_KEY_HEADER: &str = "fundi-next-key";

/// A depot's announcement of the key it will switch to, signed with the key it serves now (a
/// TLS 1.3 signature scheme, verified by the phone against the certificate of the connection
/// the announcement came on). Carried in every answer, as `<fingerprint>.<scheme>.<signature hex>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyAnnouncement {
    pub next: KeyFingerprint,
    /// The TLS `SignatureScheme` code (e.g. 0x0403 for ECDSA P-256 with SHA-256).
    pub scheme: u16,
    pub signature: Vec<u8>,
}

impl KeyAnnouncement {
    /// The bytes the current key signs: a fixed context, so the signature can mean nothing else.
    pub fn signed_message(next: &KeyFingerprint) -> Vec<u8> {
        let mut m = b"fundi depot next key v1\0".to_vec();
        m.extend_from_slice(&next.bytes());
        m
    }

    pub fn to_header(&self) -> String {
        format!("{}.{:04x}.{}", self.next, self.scheme, hex(&self.signature))
    }

    /// `None` for anything that is not a well-formed announcement (ignored, never trusted).
    pub fn parse(header: &str) -> Option<KeyAnnouncement> {
        let mut parts = header.trim().split('.');
        let next = KeyFingerprint::try_from(parts.next()?.to_string()).ok()?;
        let scheme = parts.next().filter(|s| s.bytes().all(|b| b.is_ascii_hexdigit()))?;
        let scheme = u16::from_str_radix(scheme, 16).ok()?;
        let signature = unhex(parts.next()?)?;
        if parts.next().is_some() || signature.is_empty() || signature.len() > 1024 {
            return None;
        }
        Some(KeyAnnouncement { next, scheme, signature })
    }
}

/// The signature schemes an announcement may use (TLS 1.3 codes), with the verification each
/// takes: the kinds of key a depot serves (generated keys are ECDSA P-256).
const ANNOUNCEMENT_SCHEMES: [(u16, &dyn rustls_pki_types::SignatureVerificationAlgorithm); 3] = [
    (0x0403, webpki::ring::ECDSA_P256_SHA256),
    (0x0807, webpki::ring::ED25519),
    (0x0804, webpki::ring::RSA_PSS_2048_8192_SHA256_LEGACY_KEY),
];

/// The TLS 1.3 signature scheme codes a depot may sign announcements with.
pub fn announcement_schemes() -> impl Iterator<Item = u16> {
    ANNOUNCEMENT_SCHEMES.iter().map(|(s, _)| *s)
}

impl KeyAnnouncement {
    /// Whether the key of `current_cert` (DER, the certificate of the connection the
    /// announcement came on) signed this announcement.
    pub fn is_signed_by(&self, current_cert: &[u8]) -> bool {
        let der = rustls_pki_types::CertificateDer::from(current_cert);
        let Ok(cert) = webpki::EndEntityCert::try_from(&der) else { return false };
        let Some((_, alg)) = ANNOUNCEMENT_SCHEMES.iter().find(|(s, _)| *s == self.scheme) else { return false };
        cert.verify_signature(*alg, &Self::signed_message(&self.next), &self.signature).is_ok()
    }
}

/// The fingerprint of the key in a DER certificate; `None` if it cannot be parsed.
pub fn fingerprint_of_cert(cert_der: &[u8]) -> Option<KeyFingerprint> {
    let der = rustls_pki_types::CertificateDer::from(cert_der);
    let cert = webpki::EndEntityCert::try_from(&der).ok()?;
    Some(KeyFingerprint::of_spki(cert.subject_public_key_info().as_ref()))
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The bytes of a hex string; `None` if it is not one (hex digits only: `from_str_radix`
/// alone would also take a `+` sign, so `+f` would read as `0f`).
pub fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_announcement_survives_its_header_form_and_garbage_is_ignored() {
        let a = KeyAnnouncement { next: KeyFingerprint::of_spki(b"next key"), scheme: 0x0403, signature: vec![1, 2, 0xff] };
        assert_eq!(KeyAnnouncement::parse(&a.to_header()), Some(a.clone()));
        for bad in ["", "x.0403.01", &format!("{}.zz.01", a.next), &format!("{}.0403.", a.next), &format!("{}.0403.0g", a.next)] {
            assert_eq!(KeyAnnouncement::parse(bad), None, "{bad:?}");
        }
        // A sign is not a hex digit (`from_str_radix` alone takes one).
        for bad in [format!("{}.+403.01", a.next), format!("{}.0403.+1", a.next)] {
            assert_eq!(KeyAnnouncement::parse(&bad), None, "{bad:?}");
        }
    }

    /// A SPAKE2 message with `+` for a `0` opened an enrollment session (seen by reading; the
    /// `enrollment` fuzz target's oracle fails on it: `fixtures/fuzz/enrollment/crashes/`).
    #[test]
    fn hex_is_digits_only() {
        assert_eq!(unhex("0f0A"), Some(vec![0x0f, 0x0a]));
        assert_eq!(unhex(""), Some(vec![]));
        for bad in ["+f", "0+", "-1", " f", "0g", "é", "abc"] {
            assert_eq!(unhex(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_short_form_is_five_groups_of_the_leading_digits() {
        let k = KeyFingerprint::try_from("0123456789abcdef".repeat(4)).unwrap();
        assert_eq!(k.short(), "0123-4567-89AB-CDEF-0123");
        assert_eq!(k.bytes()[..3], [0x01, 0x23, 0x45]);
        assert!(KeyFingerprint::try_from("ABC".to_string()).is_err());
    }
}
