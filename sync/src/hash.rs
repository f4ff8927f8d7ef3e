//! SHA-256 as the protocol writes it: 64 lowercase hex digits. Photos are named by the hash of
//! their bytes (content addressing); credentials are stored only as their hash.

use sha2::{Digest, Sha256};

/// The SHA-256 of `bytes`, in lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `s` is a content hash as the protocol writes one (64 lowercase hex digits).
pub fn is_content_hash(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digest_and_its_form() {
        let h = sha256_hex(b"abc");
        assert_eq!(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert!(is_content_hash(&h));
        assert!(!is_content_hash(&h.to_uppercase()));
        assert!(!is_content_hash(&h[1..]));
    }
}
